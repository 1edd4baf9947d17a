"""aiohttp client under v2 against a real loopback server: propagation, caller headers, tags, errors."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from ddtrace.trace import tracer
from helpers import assert_span
from multidict import CIMultiDict

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd


@pytest.fixture
def patched():
    ddtrace_integrations.patch(aiohttp=True)
    yield
    ddtrace_integrations.unpatch(aiohttp=True)


async def _get(url: str, **kwargs) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session, session.get(url, **kwargs) as response:
        await response.read()
        return response


async def test_propagation_headers_reach_the_server_with_the_client_span_ids(patched, spans, base):
    async with aiohttp.ClientSession() as session, session.get(base + "/headers") as response:
        seen = await response.json()
    span = spans.one("aiohttp.request")
    assert seen["x-datadog-trace-id"] == str(span.trace_id & (2**64 - 1))
    assert seen["x-datadog-parent-id"] == str(span.span_id)


@pytest.mark.parametrize(
    "headers",
    [{"X-Sign": "abc"}, [("X-Sign", "abc"), ("X-Multi", "1"), ("X-Multi", "2")], CIMultiDict({"X-Sign": "abc"})],
    ids=["dict", "pairs", "multidict"],
)
async def test_caller_headers_are_never_modified(patched, spans, base, headers):
    before = list(headers.items()) if hasattr(headers, "items") else list(headers)
    async with aiohttp.ClientSession() as session, session.get(base + "/headers", headers=headers) as response:
        seen = await response.json()
    assert (list(headers.items()) if hasattr(headers, "items") else list(headers)) == before
    assert seen["x-sign"] == "abc" and "x-datadog-trace-id" in seen
    if isinstance(headers, list):
        assert seen["x-multi"] in ("1, 2", "1,2")  # both values still sent


async def test_span_tags_url_with_base_url_and_params(patched, spans, base):
    async with aiohttp.ClientSession(base_url=base) as session:  # noqa: SIM117 (one-line form needs 3.10)
        async with session.get("/status/202?page=2", params={"token": "s3cr3t"}) as response:
            await response.read()
    span = spans.one("aiohttp.request")
    assert_span(
        span,
        resource="aiohttp.request",
        span_type="http",
        meta={
            "component": "aiohttp_client",
            "span.kind": "client",
            "http.method": "GET",
            "http.status_code": "202",
            "http.status_msg": "Accepted",
            "out.host": "127.0.0.1",
            "http.url": base + "/status/202?page=2&<redacted>",
        },
        absent=["_dd.measured"],
    )
    connect = spans.one("TCPConnector.connect")
    assert (connect.parent_id, connect.service, connect.get_tag("component")) == (span.span_id, span.service, "aiohttp")


async def test_split_by_domain_uses_the_host_alone(patched, spans, base, monkeypatch):
    monkeypatch.setitem(dd.config.aiohttp_client, "split_by_domain", True)
    await _get(base + "/status/200")
    assert spans.one("aiohttp.request").service == "127.0.0.1"


async def test_errors_pass_through_unchanged(patched, spans, base):
    with pytest.raises(aiohttp.ClientConnectorError):
        await _get("http://127.0.0.1:1/")
    with pytest.raises(asyncio.TimeoutError):
        await _get(base + "/slow", timeout=aiohttp.ClientTimeout(total=0.2))
    with pytest.raises(aiohttp.InvalidURL):
        await _get("not a url")
    refused, timeout, invalid = spans.named("aiohttp.request")
    assert_span(refused, error=1, meta={"http.url": "http://127.0.0.1:1/"})
    assert refused.get_tag("error.type").endswith("ClientConnectorError")
    assert_span(timeout, error=1, absent=["http.status_code"])
    assert_span(invalid, error=1)
    assert (await _get(base + "/status/500")).status == 500
    assert spans.named("aiohttp.request")[-1].error == 1


async def test_concurrent_requests_parent_their_own_spans(patched, spans, base):
    async with aiohttp.ClientSession() as session:

        async def task(i: int) -> int:
            with tracer.trace("task", resource=str(i)):
                async with session.get(f"{base}/status/{200 + i}") as response:
                    return response.status

        assert await asyncio.gather(*(task(i) for i in range(8))) == [200 + i for i in range(8)]
    for i in range(8):
        parent = spans.one("task", str(i))
        (child,) = [s for s in spans.named("aiohttp.request") if s.get_tag("http.status_code") == str(200 + i)]
        assert (child.trace_id, child.parent_id) == (parent.trace_id, parent.span_id)


async def test_unpatch_restores_the_library(spans, base):
    original = vars(aiohttp.ClientSession)["_request"]
    ddtrace_integrations.patch(aiohttp=True)
    assert vars(aiohttp.ClientSession)["_request"] is not original
    ddtrace_integrations.unpatch(aiohttp=True)
    assert vars(aiohttp.ClientSession)["_request"] is original
    await _get(base + "/status/200")
    assert spans.spans == []
