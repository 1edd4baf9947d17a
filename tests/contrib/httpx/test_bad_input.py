"""The bad-input catalog for httpx (sync and async clients) against a real loopback server: each case's
traced outcome (status and the headers the server saw, less the propagation headers the integration adds; or
the exception) is the untraced one, computed here with the plugins off; each sent request makes one span, and
a request httpx refuses before sending reaches none of our code."""

from __future__ import annotations

import asyncio
from typing import Any
from typing import Dict

import httpx
import pytest
from helpers import HTTP_CLIENT_CASES
from helpers import LONG
from helpers import HttpClientCase
from helpers import assert_same_and_traced
from helpers import async_outcome
from helpers import maybe
from helpers import patched_fixture
from helpers import untraced_then_traced
from helpers import without_propagation

# name -> case: the cases every HTTP client meets alike (helpers.HTTP_CLIENT_CASES), then httpx's own
CASES: Dict[str, HttpClientCase] = {
    **HTTP_CLIENT_CASES,
    "ipv6_zone": (lambda b: "http://[fe80::1%25eth0]:1/headers", {}, 1, True),
    "upper_case_scheme": (lambda b: b.replace("http", "HTTP") + "/headers", {}, 1, True),
    "space_in_host": (lambda b: "http://exa mple/", {}, 1, True),
    "query_64k": (lambda b: b + "/headers?q=" + LONG[:65000], {}, 1, True),
    "query_over_httpx_limit": (lambda b: b + "/headers?q=" + LONG, {}, 0, False),
    "params_mixed_types": (lambda b: b + "/headers?a=1", {"params": {"b": 2, "c": None, "d": ["x", "y"]}}, 1, True),
    "fragment": (lambda b: b + "/headers#frag?x=1", {}, 1, True),
    "bytes_header_values": (lambda b: b + "/headers", {"headers": {"X-Bytes": b"\xff\xfe latin"}}, 1, True),
    "bytes_header_names": (lambda b: b + "/headers", {"headers": {b"X-Name": b"v"}}, 1, True),
    "non_ascii_header_str": (lambda b: b + "/headers", {"headers": {"X-Snow": "\u2603"}}, 0, False),
    "int_header_value": (lambda b: b + "/headers", {"headers": {"X-Int": 1}}, 0, False),
    "none_header_value": (lambda b: b + "/headers", {"headers": {"X-None": None}}, 0, False),
    "headers_object": (lambda b: b + "/headers", {"headers": httpx.Headers([("X-H", "1"), ("X-H", "2")])}, 1, True),
    "generator_body": (lambda b: b + "/headers", {"method": "POST", "content": iter([b"a", b"b"])}, 1, True),
}


patched = patched_fixture(scope="module", autouse=True, httpx=True)


def seen(response: httpx.Response) -> Any:
    if response.headers.get("content-type") == "application/json":
        return response.status_code, without_propagation(response.json())
    return response.status_code, response.text


async def run(client_type: type, url: str, kwargs: Dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("content"), type(iter([]))):
        kwargs["content"] = iter([b"a", b"b"])  # a fresh generator for each run
    method = kwargs.pop("method", "GET")
    client = client_type()
    try:
        return await async_outcome(lambda: maybe(client.request(method, url, **kwargs)))
    finally:
        await maybe(client.aclose() if isinstance(client, httpx.AsyncClient) else client.close())


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("client_type", [httpx.Client, httpx.AsyncClient], ids=["sync", "async"])
def test_bad_input_behaves_as_untraced(client_type, name, base, spans, caplog):
    url, kwargs, count, reached = CASES[name]

    def outcome() -> Any:
        found = asyncio.run(run(client_type, url(base), kwargs))
        return (found[0], seen(found[1])) if found[0] == "returned" else found

    untraced, traced = untraced_then_traced(outcome, spans, caplog, "httpx")
    assert_same_and_traced(
        untraced, traced, spans.named("http.request"), count, caplog.records, "httpx", reached=reached
    )
