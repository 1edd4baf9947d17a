"""The bad-input catalog for the aiohttp client against a real loopback server: each case's traced outcome
(status and the headers the server saw, less the propagation headers the integration adds; or the exception)
is the untraced one, computed here with the plugins off; each request makes one ``aiohttp.request`` span, or
goes untraced with a debug log where its arguments cannot be read."""

from __future__ import annotations

import asyncio
from typing import Any
from typing import Dict

import aiohttp
import pytest
from helpers import HTTP_CLIENT_CASES
from helpers import LONG
from helpers import HttpClientCase
from helpers import assert_same_and_traced
from helpers import async_outcome
from helpers import patched_fixture
from helpers import untraced_then_traced
from helpers import without_propagation
from multidict import CIMultiDict
from multidict import CIMultiDictProxy
from yarl import URL

PAIRS = [("X-Dup", "1"), ("x-dup", "2")]
# name -> case: the cases every HTTP client meets alike (helpers.HTTP_CLIENT_CASES), then aiohttp's own
CASES: Dict[str, HttpClientCase] = {
    **HTTP_CLIENT_CASES,
    "userinfo_and_authorization": (
        lambda b: b.replace("://", "://user:pw@") + "/headers",
        {"headers": {"Authorization": "Bearer t"}},
        1,
        True,
    ),
    "yarl_url": (lambda b: URL(b + "/headers?a=%20b", encoded=True), {}, 1, True),
    "query_64k": (lambda b: b + "/headers?q=" + LONG, {}, 1, True),
    "params_pairs": (lambda b: b + "/headers?a=1", {"params": [("a", "2"), ("b", "\u2603")]}, 1, True),
    "params_none_value": (lambda b: b + "/headers", {"params": {"c": None}}, 0, True),
    "bytes_header_values": (lambda b: b + "/headers", {"headers": {"X-Bytes": b"\xff\xfe"}}, 1, True),
    "bytes_header_names": (lambda b: b + "/headers", {"headers": {b"X-Name": "v"}}, 0, True),
    "int_header_value": (lambda b: b + "/headers", {"headers": {"X-Int": 1}}, 1, True),
    "none_header_value": (lambda b: b + "/headers", {"headers": {"X-None": None}}, 1, True),
    "non_ascii_header_value": (lambda b: b + "/headers", {"headers": {"X-Snow": "\u2603"}}, 1, True),
    "cimultidict": (lambda b: b + "/headers", {"headers": CIMultiDict(PAIRS)}, 1, True),
    "cimultidict_proxy": (lambda b: b + "/headers", {"headers": CIMultiDictProxy(CIMultiDict(PAIRS))}, 1, True),
    "headers_not_a_mapping": (lambda b: b + "/headers", {"headers": 42}, 0, True),
}


patched = patched_fixture(scope="module", autouse=True, aiohttp=True)


async def request(url: Any, kwargs: Dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as session, session.request("GET", url, **kwargs) as response:
        if response.content_type == "application/json":
            return response.status, without_propagation(await response.json())
        return response.status, await response.text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_behaves_as_untraced(name, base, spans, caplog):
    url, kwargs, count, reached = CASES[name]
    untraced, traced = untraced_then_traced(
        lambda: asyncio.run(async_outcome(lambda: request(url(base), kwargs))), spans, caplog, "aiohttp"
    )
    found = spans.named("aiohttp.request")
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "aiohttp", reached=reached)
