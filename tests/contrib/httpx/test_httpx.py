"""httpx under v2 against a real loopback server: propagation across the socket, caller objects untouched."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from ddtrace.trace import tracer
from helpers import assert_span

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd


@pytest.fixture
def patched():
    ddtrace_integrations.patch(httpx=True)
    yield
    ddtrace_integrations.unpatch(httpx=True)


def test_propagation_headers_reach_the_server_with_the_client_span_ids(patched, spans, base):
    with httpx.Client() as client:
        seen = client.get(base + "/headers").json()
    span = spans.one("http.request")
    assert seen["x-datadog-trace-id"] == str(span.trace_id & (2**64 - 1))
    assert seen["x-datadog-parent-id"] == str(span.span_id)
    assert seen["traceparent"].split("-")[1:3] == [f"{span.trace_id:032x}", f"{span.span_id:016x}"]


def test_caller_request_and_headers_are_never_modified(patched, spans, base):
    caller_headers = {"X-Sign": "abc"}
    with httpx.Client() as client:
        request = client.build_request("POST", base + "/headers", headers=caller_headers, content=b"signed body")
        before = list(request.headers.raw)
        seen = client.send(request).json()
        client.get(base + "/headers", headers=caller_headers)
    assert list(request.headers.raw) == before and caller_headers == {"X-Sign": "abc"}
    assert "x-datadog-trace-id" in seen and seen["x-sign"] == "abc" and seen["content-length"] == "11"


def test_propagation_headers_replace_the_callers_own_once(patched, spans, base):
    stale = {"TraceParent": "00-stale-stale-01", "X-Datadog-Trace-Id": "1", "X-Sign": "abc"}
    with httpx.Client() as client:
        seen = client.get(base + "/headers", headers=stale).json()
    span = spans.one("http.request")
    assert seen["x-datadog-trace-id"] == str(span.trace_id & (2**64 - 1))  # one value: the stale one is gone
    assert seen["traceparent"].split("-")[1:3] == [f"{span.trace_id:032x}", f"{span.span_id:016x}"]
    assert seen["x-sign"] == "abc"


def test_the_sent_copy_keeps_the_callers_extensions_encoding_and_class(patched, spans, base):
    class SignedRequest(httpx.Request):
        pass

    timeout = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    request = SignedRequest("GET", base + "/headers", headers=[(b"X-Name", "café".encode("latin-1"))])
    request.extensions = {"timeout": timeout}
    sent = []
    with httpx.Client(event_hooks={"request": [sent.append]}) as client:
        seen = client.send(request).json()
    assert request.extensions == {"timeout": timeout} and "x-datadog-trace-id" not in request.headers
    assert type(sent[0]) is SignedRequest and sent[0] is not request
    assert sent[0].extensions == request.extensions and sent[0].extensions is not request.extensions
    assert sent[0].headers["x-name"] == "café"  # decoded as httpx decodes the caller's headers
    assert seen["x-datadog-parent-id"] == str(spans.one("http.request").span_id)


def test_span_tags_and_obfuscated_query(patched, spans, base):
    with httpx.Client() as client:
        client.get(base + "/status/204?token=s3cr3t&page=2", headers={"User-Agent": "ddi"})
    assert_span(
        spans.one("http.request"),
        resource="http.request",
        span_type="http",
        error=0,
        meta={
            "component": "httpx",
            "span.kind": "client",
            "http.method": "GET",
            "http.status_code": "204",
            "http.useragent": "ddi",
            "out.host": "127.0.0.1",
            "http.url": base + "/status/204?<redacted>&page=2",
        },
        metrics={"_dd.measured": 1},
    )


def test_userinfo_never_reaches_the_url_tag(patched, spans, base):
    with httpx.Client() as client:
        client.get(base.replace("http://", "http://user:hunter2@") + "/status/200")
    assert spans.one("http.request").get_tag("http.url") == base + "/status/200"


def test_error_statuses_follow_the_server_error_setting(patched, spans, base, monkeypatch):
    with httpx.Client() as client:
        client.get(base + "/status/502")
        client.get(base + "/status/404")
        monkeypatch.setattr(dd.config._http_server, "error_statuses", "400-499")
        client.get(base + "/status/404")
    assert [s.error for s in spans.named("http.request")] == [1, 0, 1]


def test_split_by_domain_names_the_service_host_and_port(patched, spans, base, monkeypatch):
    monkeypatch.setitem(dd.config.httpx, "split_by_domain", True)
    with httpx.Client() as client:
        client.get(base + "/status/200")
    assert_span(spans.one("http.request"), service=base.split("//")[1], meta={"_dd.svc_src": "opt.split_by_domain"})


def test_distributed_tracing_off_sends_no_headers(patched, spans, base, monkeypatch):
    monkeypatch.setitem(dd.config.httpx, "distributed_tracing", False)
    with httpx.Client() as client:
        seen = client.get(base + "/headers").json()
    assert "x-datadog-trace-id" not in seen and "traceparent" not in seen
    assert spans.one("http.request")


def test_exceptions_pass_through_unchanged(patched, spans, base):
    with httpx.Client() as client:
        with pytest.raises(httpx.ConnectError):
            client.get("http://127.0.0.1:1/")
        with pytest.raises(httpx.ReadTimeout):
            client.get(base + "/slow", timeout=0.2)
        with pytest.raises(httpx.UnsupportedProtocol):
            client.get("ftp://127.0.0.1/")
    refused, timeout, unsupported = spans.named("http.request")
    assert_span(refused, error=1, meta={"error.type": "httpx.ConnectError", "http.url": "http://127.0.0.1:1/"})
    assert_span(timeout, error=1, meta={"error.type": "httpx.ReadTimeout"}, absent=["http.status_code"])
    assert_span(unsupported, error=1, meta={"error.type": "httpx.UnsupportedProtocol"})


def test_redirects_and_auth_flows_are_one_span_per_send(patched, spans, base):
    with httpx.Client() as client:
        assert client.get(base + "/redirect", follow_redirects=True).status_code == 200
        assert client.get(base + "/digest", auth=httpx.DigestAuth("u", "p")).status_code == 200
    redirected, digest = spans.named("http.request")
    assert (redirected.get_tag("http.url"), redirected.get_tag("http.status_code")) == (base + "/redirect", "200")
    assert (digest.get_tag("http.url"), digest.get_tag("http.status_code")) == (base + "/digest", "200")


def test_streamed_response_span_ends_when_send_returns(patched, spans, base):
    with httpx.Client() as client, client.stream("GET", base + "/stream") as response:
        assert spans.one("http.request").get_tag("http.status_code") == "200"  # finished before the body
        assert len(list(response.iter_lines())) == 10


async def test_concurrent_async_requests_parent_their_own_spans(patched, spans, base):
    async with httpx.AsyncClient() as client:

        async def task(i: int) -> int:
            with tracer.trace("task", resource=str(i)):
                return (await client.get(f"{base}/status/{200 + i}")).status_code

        assert await asyncio.gather(*(task(i) for i in range(8))) == [200 + i for i in range(8)]
    for i in range(8):
        parent = spans.one("task", str(i))
        (child,) = [s for s in spans.named("http.request") if s.get_tag("http.status_code") == str(200 + i)]
        assert (child.trace_id, child.parent_id) == (parent.trace_id, parent.span_id)


def test_header_tags_only_for_listed_headers(patched, spans, base):
    dd.config.httpx.http.trace_headers(["x-served-by", "x-sign"])
    try:
        with httpx.Client() as client:
            client.get(base + "/status/200", headers={"X-Sign": "abc", "Authorization": "Bearer t0ken"})
    finally:
        dd.config.httpx.http._header_tags.clear()
    span = spans.one("http.request")
    assert span.get_tag("http.request.headers.x-sign") == "abc"
    assert span.get_tag("http.response.headers.x-served-by") == "loopback"
    assert "t0ken" not in str(span.get_tags())
