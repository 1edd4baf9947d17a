"""ServerPlugin: the span of the API gateway a request came through (``DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED``),
and which context a request continues while a span of this process is active."""

from __future__ import annotations

from typing import Dict

import pytest
from ddtrace.trace import tracer
from helpers import assert_span

from ddtrace_integrations import _ddtrace as dd

REQUEST_TIME_MS = 1_700_000_000_123
GATEWAY = {
    "x-dd-proxy": "aws-apigateway",
    "x-dd-proxy-request-time-ms": str(REQUEST_TIME_MS),
    "x-dd-proxy-path": "/prod/users/1",
    "x-dd-proxy-httpmethod": "GET",
    "x-dd-proxy-domain-name": "gw.example.com",
    "x-dd-proxy-stage": "prod",
}
CALLER = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}


@pytest.fixture
def proxy_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """ddtrace reads the setting on every request, so switching it here is what the env var does at start."""
    monkeypatch.setattr(dd.config, "_inferred_proxy_services_enabled", True)


def end_ns(span) -> int:
    return span.start_ns + span.duration_ns


def test_gateway_span_is_the_parent_of_the_request_span(fake, spans, proxy_enabled):
    status, _ = fake.handle("GET", "/users/1", {**GATEWAY, "user-agent": "curl/8"})
    assert status == 200
    proxy, request = spans.one("aws.apigateway"), spans.one("fakelib.request")
    assert_span(
        proxy,
        service="gw.example.com",
        resource="GET /prod/users/1",
        span_type="web",
        error=0,
        meta={
            "component": "aws-apigateway",
            "span.kind": "server",
            "http.url": "https://gw.example.com/prod/users/1",
            "http.method": "GET",
            "http.useragent": "curl/8",
            "stage": "prod",
            "http.status_code": "200",
        },
        metrics={"_dd.inferred_span": 1},
        absent=["http.route", "dd_resource_key", "_dd.measured"],
    )
    assert proxy.parent_id is None and request.parent_id == proxy.span_id
    assert request.trace_id == proxy.trace_id
    assert proxy.start_ns == REQUEST_TIME_MS * 1_000_000
    assert end_ns(proxy) >= end_ns(request)
    assert_span(request, resource="GET /users/<int:uid>", meta={"http.status_code": "200"})
    assert spans.one("fakelib.render").parent_id == request.span_id
    assert tracer.current_span() is None


def test_gateway_span_continues_the_callers_trace_and_ours_is_restored(fake, spans, proxy_enabled):
    with tracer.trace("outer") as outer:
        fake.handle("GET", "/users/1", {**GATEWAY, **CALLER})
        assert tracer.current_span() is outer
    proxy, request = spans.one("aws.apigateway"), spans.one("fakelib.request")
    assert (proxy.trace_id, proxy.parent_id) == (1234, 5678)
    assert (request.trace_id, request.parent_id) == (1234, proxy.span_id)


def test_without_a_caller_the_gateway_span_joins_the_active_trace(fake, spans, proxy_enabled):
    with tracer.trace("outer") as outer:
        fake.handle("GET", "/users/1", GATEWAY)
    proxy = spans.one("aws.apigateway")
    assert (proxy.trace_id, proxy.parent_id) == (outer.trace_id, outer.span_id)


def test_every_header_the_gateway_sends_becomes_a_tag(fake, spans, proxy_enabled):
    headers = {
        **GATEWAY,
        "x-dd-proxy-resource-path": "/users/{uid}",
        "x-dd-proxy-account-id": "123456789012",
        "x-dd-proxy-api-id": "a1b2c3",
        "x-dd-proxy-region": "eu-west-1",
        "x-dd-proxy-user": "alice",
    }
    fake.handle("GET", "/users/1", headers)
    assert_span(
        spans.one("aws.apigateway"),
        resource="GET /users/{uid}",  # the gateway's route, when it sends one, rather than its path
        meta={
            "http.route": "/users/{uid}",
            "account_id": "123456789012",
            "apiid": "a1b2c3",
            "region": "eu-west-1",
            "aws_user": "alice",
            "dd_resource_key": "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3",
        },
    )


@pytest.mark.parametrize(
    "proxy, name, resource_key",
    [
        ("aws-httpapi", "aws.httpapi", "arn:aws:apigateway:eu-west-1::/apis/a1b2c3"),
        ("azure-apim", "azure.apim", None),
    ],
)
def test_each_supported_gateway_has_its_span_name(fake, spans, proxy_enabled, proxy, name, resource_key):
    headers = {**GATEWAY, "x-dd-proxy": proxy, "x-dd-proxy-api-id": "a1b2c3", "x-dd-proxy-region": "eu-west-1"}
    fake.handle("GET", "/users/1", headers)
    span = spans.one(name)
    assert_span(span, meta={"component": proxy})
    assert span.get_tag("dd_resource_key") == resource_key
    assert spans.one("fakelib.request").parent_id == span.span_id


def test_the_requests_status_and_error_are_the_gateways(fake, spans, proxy_enabled):
    fake.handle("GET", "/boom", GATEWAY)
    with pytest.raises(fake.FakeError):
        fake.handle("GET", "/crash", GATEWAY)
    answered, crashed = spans.named("aws.apigateway")
    assert_span(answered, error=1, meta={"http.status_code": "500"}, absent=["error.type"])
    assert_span(
        crashed,
        error=1,
        meta={"error.type": "fakelib.FakeError", "error.message": "crashed"},
        absent=["http.status_code"],
    )
    assert crashed.get_tag("error.stack") == spans.one("fakelib.request", "GET /crash").get_tag("error.stack")


def no_gateway(spans) -> None:
    request = spans.one("fakelib.request")
    assert [s.name for s in spans.spans if s.get_metric("_dd.inferred_span")] == []
    assert request.parent_id is None
    assert tracer.current_span() is None


def test_no_gateway_span_when_the_setting_is_off(fake, spans):
    assert fake.handle("GET", "/users/1", GATEWAY) == (200, {"content-type": "text/plain"})
    no_gateway(spans)


@pytest.mark.parametrize(
    "headers",
    [
        {k: v for k, v in GATEWAY.items() if k != "x-dd-proxy"},
        {**GATEWAY, "x-dd-proxy": "nginx"},
        {k: v for k, v in GATEWAY.items() if k != "x-dd-proxy-request-time-ms"},
        {**GATEWAY, "x-dd-proxy-request-time-ms": "soon"},
        {**GATEWAY, "x-dd-proxy-request-time-ms": "1700000000.5"},
    ],
    ids=["no-proxy-header", "unsupported-proxy", "no-request-time", "bad-request-time", "fractional-request-time"],
)
def test_no_gateway_span_for_absent_or_malformed_headers(fake, spans, proxy_enabled, headers: Dict[str, str]):
    assert fake.handle("GET", "/users/1", headers) == (200, {"content-type": "text/plain"})
    no_gateway(spans)
    spans.clear()
    fake.handle("GET", "/users/1", {**headers, **CALLER})  # the plugin still works, and still continues traces
    assert spans.one("fakelib.request").trace_id == 1234


# --- the caller's context, when a span of its trace already runs here (an in-process test client, a nested app) ---


def test_headers_continuing_the_active_trace_leave_the_active_span_the_parent(fake, spans):
    with tracer.trace("client") as client:
        headers: Dict[str, str] = {}
        dd.HTTPPropagator.inject(client.context, headers)  # what an HTTP client traced here sends
        headers["x-datadog-parent-id"] = "5678"  # not the active span: which parent was taken shows
        fake.handle("GET", "/users/1", headers)
        assert tracer.current_span() is client
    request = spans.one("fakelib.request")
    assert (request.trace_id, request.parent_id) == (client.trace_id, client.span_id)
    assert request._local_root is client


def test_baggage_alone_is_not_continued_over_an_active_span(fake, spans):
    with tracer.trace("outer") as outer:
        fake.handle("GET", "/users/1", {"baggage": "user=7"})
    request = spans.one("fakelib.request")
    assert (request.trace_id, request.parent_id) == (outer.trace_id, outer.span_id)
    assert request.context.get_baggage_item("user") is None
