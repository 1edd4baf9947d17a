"""InboundPlugin, ServerPlugin, RouterPlugin: extraction, route naming, status, context restoration."""

from __future__ import annotations

from helpers import assert_span

from ddtrace_integrations import _ddtrace as dd


def test_request_span_is_named_after_the_route(fake, spans):
    status, _ = fake.handle("GET", "/users/1", {"user-agent": "curl/8"})
    assert status == 200
    assert_span(
        spans.one("fakelib.request"),
        resource="GET /users/<int:uid>",
        span_type="web",
        meta={
            "span.kind": "server",
            "http.method": "GET",
            "http.route": "/users/<int:uid>",
            "http.status_code": "200",
            "http.url": "http://fake.local/users/1",
            "http.useragent": "curl/8",
        },
        metrics={"_dd.measured": 1, "fakelib.view_args.uid": 1},
    )


def test_unmatched_path_uses_the_path_and_5xx_is_an_error(fake, spans):
    fake.handle("GET", "/nope", {})
    fake.handle("GET", "/boom", {})
    assert_span(spans.one("fakelib.request", "GET /nope"), error=0, meta={"http.status_code": "404"})
    assert_span(spans.one("fakelib.request", "GET /boom"), error=1, meta={"http.status_code": "500"})


def test_distributed_headers_continue_the_callers_trace_and_restore_ours(fake, spans):
    from ddtrace.trace import tracer

    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}
    with tracer.trace("outer") as outer:
        fake.handle("GET", "/users/1", headers)
        assert tracer.current_span() is outer
    request = spans.one("fakelib.request")
    assert (request.trace_id, request.parent_id) == (1234, 5678)


def test_tracecontext_headers(fake, spans):
    traceparent = "00-0000000000000000000000000000abcd-00000000000000ef-01"
    fake.handle("GET", "/users/1", {"traceparent": traceparent})
    request = spans.one("fakelib.request")
    assert (request.trace_id, request.parent_id) == (0xABCD, 0xEF)


def test_distributed_tracing_can_be_switched_off(fake, spans, monkeypatch):
    monkeypatch.setitem(dd.config.fakelib, "distributed_tracing_enabled", False)
    fake.handle("GET", "/users/1", {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678"})
    assert spans.one("fakelib.request").trace_id != 1234
