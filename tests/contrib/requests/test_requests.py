"""requests under v2 against a real loopback server: one span per ``Session.send``, propagation across the socket
on a copy of the caller's prepared request, exceptions passed through unchanged."""

from __future__ import annotations

import json

import pytest
import requests
from ddtrace.trace import tracer
from helpers import assert_span
from helpers import bin_path
from helpers import patched_fixture
from helpers import plugins_off
from helpers import run_python
from requests.adapters import BaseAdapter

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd

patched = patched_fixture(requests=True)


def test_propagation_headers_reach_the_server_with_the_client_span_ids(patched, spans, base):
    seen = requests.get(base + "/headers").json()
    span = spans.one("requests.request")
    assert seen["x-datadog-trace-id"] == str(span.trace_id & (2**64 - 1))
    assert seen["x-datadog-parent-id"] == str(span.span_id)
    assert seen["traceparent"].split("-")[1:3] == [f"{span.trace_id:032x}", f"{span.span_id:016x}"]


def test_caller_prepared_request_and_headers_are_never_modified(patched, spans, base):
    caller = {"X-Sign": "abc"}
    request = requests.Request("POST", base + "/headers", headers=caller, data=b"signed body").prepare()
    headers, before, body = request.headers, dict(request.headers), request.body
    with requests.Session() as session:
        response = session.send(request)
        again = session.send(request)  # the same request sent twice: each time as the caller built it
    assert request.headers is headers and dict(request.headers) == before and request.body is body
    assert not any(name.lower().startswith(("x-datadog", "traceparent")) for name in headers)
    for sent in (response, again):
        seen = sent.json()
        assert "x-datadog-trace-id" in seen and seen["x-sign"] == "abc" and seen["content-length"] == "11"
    first, second = spans.named("requests.request")
    assert response.json()["x-datadog-parent-id"] == str(first.span_id)
    assert again.json()["x-datadog-parent-id"] == str(second.span_id)


def test_untraced_the_callers_request_is_sent_as_it_is(spans, base):
    ddtrace_integrations.patch(requests=True)
    try:
        with plugins_off("requests"), requests.Session() as session:
            request = requests.Request("GET", base + "/status/200").prepare()
            assert session.send(request).request is request
    finally:
        ddtrace_integrations.unpatch(requests=True)
    assert spans.named("requests.request") == []


def test_propagation_headers_replace_the_callers_own_once(patched, spans, base):
    stale = {"TraceParent": "00-stale-stale-01", "X-Datadog-Trace-Id": "1", "X-Sign": "abc"}
    seen = requests.get(base + "/headers", headers=stale).json()
    span = spans.one("requests.request")
    assert seen["x-datadog-trace-id"] == str(span.trace_id & (2**64 - 1))  # one value: the stale one is gone
    assert seen["traceparent"].split("-")[1:3] == [f"{span.trace_id:032x}", f"{span.span_id:016x}"]
    assert seen["x-sign"] == "abc"


def test_headers_set_by_hand_as_a_dict_are_copied_too(patched, spans, base):
    request = requests.Request("GET", base + "/headers").prepare()
    caller = request.headers = {"X-Sign": "abc", "X-Datadog-Trace-Id": "1"}
    with requests.Session() as session:
        seen = session.send(request).json()
    assert request.headers is caller and caller == {"X-Sign": "abc", "X-Datadog-Trace-Id": "1"}
    span = spans.one("requests.request")
    assert seen["x-sign"] == "abc" and seen["x-datadog-parent-id"] == str(span.span_id)


def test_span_tags_and_obfuscated_query(patched, spans, base):
    requests.get(base + "/status/204?token=s3cr3t&page=2", headers={"User-Agent": "ddi"})
    assert_span(
        spans.one("requests.request"),
        service="requests",
        resource="GET /status/204",
        span_type="http",
        error=0,
        meta={
            "component": "requests",
            "span.kind": "client",
            "http.method": "GET",
            "http.status_code": "204",
            "http.useragent": "ddi",
            "out.host": "127.0.0.1",
            "http.url": base + "/status/204?<redacted>&page=2",
        },
        metrics={"_dd.measured": 1},
    )


def test_post_names_its_method_and_sends_its_body(patched, spans, base):
    seen = requests.post(base + "/headers", json={"a": 1}, headers={"Connection": "close"}).json()
    assert seen["content-type"] == "application/json" and seen["content-length"] == "8"
    assert_span(spans.one("requests.request"), resource="POST /headers", meta={"http.method": "POST"})


def test_userinfo_never_reaches_the_tags(patched, spans, base):
    requests.get(base.replace("://", "://user:hunter2@") + "/status/200")
    requests.get(base.replace("://", "://user:p@ss@") + "/status/200")  # a raw "@" in the password
    for span in spans.named("requests.request"):
        assert span.get_tag("http.url") == base + "/status/200"
        assert "hunter2" not in str(span.get_tags()) and "ss@" not in str(span.get_tags())


def test_a_fragment_is_never_tagged(patched, spans, base):
    requests.get(base + "/status/200?page=2#access_token=s3cr3t")
    requests.get(base + "/status/200#frag?x=1")
    urls = [s.get_tag("http.url") for s in spans.named("requests.request")]
    assert urls == [base + "/status/200?page=2", base + "/status/200"]


def test_error_statuses_follow_the_server_error_setting(patched, spans, base, monkeypatch):
    """ddtrace 4.16 marks client spans by DD_TRACE_HTTP_SERVER_ERROR_STATUSES (it reads no client setting)."""
    requests.get(base + "/status/502")
    requests.get(base + "/status/404")
    monkeypatch.setattr(dd.config._http_server, "error_statuses", "400-499")
    requests.get(base + "/status/404")
    assert [s.error for s in spans.named("requests.request")] == [1, 0, 1]


def test_split_by_domain_names_the_service_host_and_port(patched, spans, base, monkeypatch):
    monkeypatch.setitem(dd.config.requests, "split_by_domain", True)
    requests.get(base + "/status/200")
    with pytest.raises(requests.ConnectionError):
        requests.get("http://localhost:1/")
    ok, refused = spans.named("requests.request")
    assert_span(ok, service=base.split("//")[1], meta={"_dd.svc_src": "opt.split_by_domain"})
    assert refused.service == "localhost:1"


def test_distributed_tracing_off_sends_no_headers(patched, spans, base, monkeypatch):
    monkeypatch.setitem(dd.config.requests, "distributed_tracing", False)
    seen = requests.get(base + "/headers").json()
    assert "x-datadog-trace-id" not in seen and "traceparent" not in seen
    assert spans.one("requests.request")


def test_exceptions_pass_through_unchanged(patched, spans, base):
    def outcomes():
        found = []
        for url, kwargs in (
            ("http://127.0.0.1:1/", {}),
            (base + "/slow", {"timeout": 0.2}),
            ("ftp://127.0.0.1/", {}),
        ):
            try:
                requests.get(url, **kwargs)
            except Exception as exc:
                found.append((type(exc), str(exc).split(" object at 0x")[0]))  # the message, less an address
        return found

    with plugins_off("requests"):
        untraced = outcomes()
    spans.clear()
    traced = outcomes()
    assert traced == untraced
    assert [t for t, _ in traced] == [requests.ConnectionError, requests.ReadTimeout, requests.exceptions.InvalidSchema]
    refused, timeout, schema = spans.named("requests.request")
    assert_span(refused, error=1, meta={"error.type": "requests.exceptions.ConnectionError"})
    assert_span(timeout, error=1, meta={"error.type": "requests.exceptions.ReadTimeout"}, absent=["http.status_code"])
    assert_span(
        schema, error=1, meta={"error.type": "requests.exceptions.InvalidSchema", "http.url": "ftp://127.0.0.1/"}
    )


def test_redirects_are_one_span_per_send_nested_in_the_first(patched, spans, base):
    response = requests.get(base + "/redirect")
    assert response.status_code == 200 and [r.status_code for r in response.history] == [302]
    first, hop = sorted(spans.named("requests.request"), key=lambda s: s.start_ns)
    assert (first.get_tag("http.url"), first.get_tag("http.status_code")) == (base + "/redirect", "200")
    assert (hop.get_tag("http.url"), hop.get_tag("http.status_code")) == (base + "/status/200", "200")
    assert (hop.trace_id, hop.parent_id) == (first.trace_id, first.span_id)
    assert response.request.headers["x-datadog-parent-id"] == str(hop.span_id)  # the hop carried its own context
    requests.get(base + "/redirect", allow_redirects=False)
    assert spans.named("requests.request")[-1].get_tag("http.status_code") == "302"


def test_streamed_response_span_ends_when_send_returns(patched, spans, base):
    with requests.get(base + "/stream", stream=True) as response:
        assert spans.one("requests.request").get_tag("http.status_code") == "200"  # finished before the body
        assert len(list(response.iter_lines())) == 10


class Adapter(BaseAdapter):
    """A transport adapter of the application's own: it answers without a network."""

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request, response._content = 201, request.url, request, b"x"
        response.headers["X-Trace"] = request.headers.get("x-datadog-parent-id", "")
        return response

    def close(self):
        pass


def test_custom_adapters_are_traced(patched, spans):
    with requests.Session() as session:
        session.mount("mem://", Adapter())
        response = session.get("mem://store/items/7?q=1")
    span = spans.one("requests.request")
    assert_span(span, resource="GET /items/7", meta={"http.url": "mem://store/items/7?q=1", "out.host": "store"})
    assert response.status_code == 201 and response.headers["X-Trace"] == str(span.span_id)


def test_a_pin_names_no_service(patched, spans, base):
    pinned = requests.Session()
    dd.Pin.override(pinned, service="pinned")
    pinned.get(base + "/status/200")
    assert spans.one("requests.request").service == "requests"


def test_header_tags_only_for_listed_headers(patched, spans, base):
    dd.config.requests.http.trace_headers(["x-served-by", "x-sign"])
    try:
        requests.get(base + "/status/200", headers={"X-Sign": "abc", "Authorization": "Bearer t0ken"})
    finally:
        dd.config.requests.http._header_tags.clear()
    span = spans.one("requests.request")
    assert span.get_tag("http.request.headers.x-sign") == "abc"
    assert span.get_tag("http.response.headers.x-served-by") == "loopback"
    assert "t0ken" not in str(span.get_tags())


def test_otlp_exports_are_not_traced(patched, spans, base, monkeypatch):
    monkeypatch.setattr(dd.config, "_otel_enabled", True)
    otlp = {"User-Agent": "OTel OTLP Exporter Python/1.0", "Connection": "close"}
    requests.post(base + "/status/200", headers=otlp, data=b"{}")
    requests.post(base + "/status/200", headers={"Connection": "close"}, data=b"{}")
    assert len(spans.named("requests.request")) == 1


def test_spans_are_children_of_the_active_span(patched, spans, base):
    with tracer.trace("parent") as parent:
        requests.get(base + "/status/200")
    child = spans.one("requests.request")
    assert (child.trace_id, child.parent_id) == (parent.trace_id, parent.span_id)


def test_unpatch_restores_session_send(spans, base):
    original = vars(requests.Session)["send"]
    ddtrace_integrations.patch(requests=True)
    ddtrace_integrations.unpatch(requests=True)
    assert vars(requests.Session)["send"] is original
    requests.get(base + "/status/200")
    assert spans.named("requests.request") == []


URLLIB3_UNDER_RUN = """
import json, sys
sys.path.insert(0, "tests/contrib")
import requests
from ddtrace.trace import TraceFilter, tracer
from http_server import serve
ids = {}
class Keep(TraceFilter):
    def process_trace(self, trace):
        ids.update((s.name, (s.span_id, s.parent_id)) for s in trace)
        return None
tracer.configure(trace_processors=[Keep()])
server, base = serve()
seen = requests.get(base + "/headers").json()
tracer.flush()
print(json.dumps({"ids": ids, "parent": seen["x-datadog-parent-id"]}))
"""


def test_with_ddtraces_urllib3_integration_the_server_sees_the_requests_span():
    """Under ``run`` with ddtrace's own urllib3 integration on (DD_TRACE_URLLIB3_ENABLED), its span is under ours,
    and the context the server receives is the requests span's, as under ddtrace: ddtrace's requests module, which
    ddtrace-run imports (its ``patch`` left a no-op), keeps urllib3 from injecting inside a requests adapter."""
    prefix = (bin_path("ddtrace-integrations"), "run")
    out = json.loads(run_python(URLLIB3_UNDER_RUN, {"DD_TRACE_URLLIB3_ENABLED": "true"}, prefix).splitlines()[-1])
    (outer, _), (_, inner_parent) = out["ids"]["requests.request"], out["ids"]["urllib3.request"]
    assert inner_parent == outer and out["parent"] == str(outer)
