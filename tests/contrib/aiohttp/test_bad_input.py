"""The bad-input catalog for the aiohttp client against a real loopback server: each case's traced outcome
(status and the headers the server saw, less the propagation headers the integration adds; or the exception)
is the untraced one, computed here with the plugins off; each request makes one ``aiohttp.request`` span, or
goes untraced with a debug log where its arguments cannot be read."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from typing import Callable
from typing import Dict
from typing import Tuple

import aiohttp
import pytest
from helpers import assert_same_and_traced
from helpers import async_outcome
from helpers import plugins_off
from helpers import without_propagation
from multidict import CIMultiDict
from multidict import CIMultiDictProxy
from yarl import URL

import ddtrace_integrations

LONG = "x" * 65536
PAIRS = [("X-Dup", "1"), ("x-dup", "2")]
# name -> (url from the server's base URL, request keyword arguments, spans, whether our code is reached)
CASES: Dict[str, Tuple[Callable[[str], Any], Dict[str, Any], int, bool]] = {
    "userinfo": (lambda b: b.replace("://", "://user:pa%3Ass@") + "/headers", {}, 1, True),
    "userinfo_and_authorization": (
        lambda b: b.replace("://", "://user:pw@") + "/headers",
        {"headers": {"Authorization": "Bearer t"}},
        1,
        True,
    ),
    "ipv6_host": (lambda b: "http://[::1]:1/headers", {}, 1, True),
    "ftp_scheme": (lambda b: "ftp://127.0.0.1/file", {}, 1, True),
    "no_host": (lambda b: "http:///headers", {}, 1, True),
    "yarl_url": (lambda b: URL(b + "/headers?a=%20b", encoded=True), {}, 1, True),
    "query_64k": (lambda b: b + "/headers?q=" + LONG, {}, 1, True),
    "query_non_ascii": (lambda b: b + "/headers?token=abc&name=\u2603&bad=%ff%fe", {}, 1, True),
    "params_pairs": (lambda b: b + "/headers?a=1", {"params": [("a", "2"), ("b", "\u2603")]}, 1, True),
    "params_none_value": (lambda b: b + "/headers", {"params": {"c": None}}, 0, True),
    "path_percent_garbage": (lambda b: b + "/headers/%ff%fe%00", {}, 1, True),
    "bytes_header_values": (lambda b: b + "/headers", {"headers": {"X-Bytes": b"\xff\xfe"}}, 1, True),
    "bytes_header_names": (lambda b: b + "/headers", {"headers": {b"X-Name": "v"}}, 0, True),
    "int_header_value": (lambda b: b + "/headers", {"headers": {"X-Int": 1}}, 1, True),
    "none_header_value": (lambda b: b + "/headers", {"headers": {"X-None": None}}, 1, True),
    "non_ascii_header_value": (lambda b: b + "/headers", {"headers": {"X-Snow": "\u2603"}}, 1, True),
    "duplicate_header_pairs": (lambda b: b + "/headers", {"headers": PAIRS}, 1, True),
    "cimultidict": (lambda b: b + "/headers", {"headers": CIMultiDict(PAIRS)}, 1, True),
    "cimultidict_proxy": (lambda b: b + "/headers", {"headers": CIMultiDictProxy(CIMultiDict(PAIRS))}, 1, True),
    "headers_not_a_mapping": (lambda b: b + "/headers", {"headers": 42}, 0, True),
    "control_char_header": (lambda b: b + "/headers", {"headers": {"X-Ctl": "a\x7fb\r\nX-Injected: 1"}}, 1, True),
    "huge_header": (lambda b: b + "/headers", {"headers": {"X-Huge": LONG}}, 1, True),
    "malformed_propagation_headers": (
        lambda b: b + "/headers",
        {"headers": {"traceparent": "00-zz-yy-01", "x-datadog-trace-id": "-1", "tracestate": "dd=;;,,="}},
        1,
        True,
    ),
}


@pytest.fixture(scope="module", autouse=True)
def patched():
    ddtrace_integrations.patch(aiohttp=True)
    yield
    ddtrace_integrations.unpatch(aiohttp=True)


async def request(url: Any, kwargs: Dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as session, session.request("GET", url, **kwargs) as response:
        if response.content_type == "application/json":
            return response.status, without_propagation(await response.json())
        return response.status, await response.text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_behaves_as_untraced(name, base, spans, caplog):
    caplog.set_level(logging.DEBUG, logger="ddtrace_integrations")
    url, kwargs, count, reached = CASES[name]
    with plugins_off("aiohttp"):
        untraced = asyncio.run(async_outcome(lambda: request(url(base), kwargs)))
    spans.clear()
    caplog.clear()
    traced = asyncio.run(async_outcome(lambda: request(url(base), kwargs)))
    found = spans.named("aiohttp.request")
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "aiohttp", reached=reached)
