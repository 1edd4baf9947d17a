"""Flask under v2: Flask's test client and a real Werkzeug server; the trace tree, errors, streaming,
propagation from a traced httpx client, apps created before patching, and unpatching."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import threading
from pathlib import Path
from typing import Iterator

import flask
import httpx
import pytest
from ddtrace.trace import tracer
from helpers import GATEWAY_HEADERS
from helpers import assert_gateway_parent
from helpers import assert_no_secret
from helpers import assert_span
from helpers import bin_path
from helpers import disabled_path_calls
from helpers import run_python

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import tracing_plugins

sys.path.insert(0, str(Path(__file__).parent))
import flask_app


def create_app() -> flask.Flask:
    return flask_app.create_app()


@pytest.fixture
def patched() -> Iterator[None]:
    ddtrace_integrations.patch(flask=True)
    importlib.reload(flask_app)  # `from flask import jsonify` after patching, as under `ddtrace-integrations run`
    yield
    ddtrace_integrations.unpatch(flask=True)
    importlib.reload(flask_app)


@pytest.fixture
def client(patched):
    """Flask's test client; ``buffered=True`` closes the response, which ends the request span."""
    return create_app().test_client()


@pytest.fixture
def served(patched) -> Iterator[str]:
    """The app behind Werkzeug's real server, one request at a time."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_app())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()


def children(spans, parent) -> list:
    return [s.name for s in sorted(spans.spans, key=lambda s: s.start_ns) if s.parent_id == parent.span_id]


def test_request_span_names_the_route_and_carries_the_request(client, spans):
    response = client.get("/users/42?token=s3cr3t&page=2", headers={"User-Agent": "ddi"}, buffered=True)
    assert response.json == {"id": 42, "name": "user42"}
    request = spans.one("flask.request")
    assert_span(
        request,
        service="flask",
        resource="GET /users/<int:uid>",
        span_type="web",
        error=0,
        meta={
            "component": "flask",
            "span.kind": "server",
            "http.method": "GET",
            "http.route": "/users/<int:uid>",
            "http.status_code": "200",
            "http.useragent": "ddi",
            "http.url": "http://localhost/users/42?<redacted>&page=2",
            "flask.endpoint": "user",
            "flask.url_rule": "/users/<int:uid>",
            "flask.version": importlib.metadata.version("flask"),
        },
        metrics={"_dd.measured": 1, "flask.view_args.uid": 42},
    )
    assert_no_secret(spans.spans, "s3cr3t")
    assert children(spans, request) == ["flask.application", "flask.response"]
    application = spans.one("flask.application")
    assert children(spans, application) == [
        "flask_app.count_request",
        "flask.preprocess_request",
        "flask.dispatch_request",
        "flask.process_response",
        "flask.do_teardown_request",
        "flask.do_teardown_appcontext",
    ]
    view = spans.one("flask_app.user")
    assert view.resource == "/users/<int:uid>" and view.parent_id == spans.one("flask.dispatch_request").span_id
    assert spans.one("flask.jsonify").parent_id == view.span_id
    assert spans.one("flask_app.count_request").get_tag("flask.signal") == "request_started"


def test_request_span_is_named_after_the_route_before_the_hooks_run(client, spans):
    """A before_request hook reads the route's resource, not the raw path."""
    assert client.get("/seen/12345", buffered=True).text == "GET /seen/<int:n>"
    assert spans.one("flask.request").resource == "GET /seen/<int:n>"


def test_a_resource_a_hook_sets_is_kept(client, spans):
    assert client.get("/renamed", buffered=True).text == "renamed"
    assert_span(spans.one("flask.request"), resource="checkout page", meta={"http.route": "/renamed"})


def test_an_app_mounted_under_a_prefix_tags_the_full_resource(patched, spans):
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.test import Client

    mounted = DispatcherMiddleware(create_app(), {"/api": create_app()})
    assert Client(mounted).get("/api/users/5", buffered=True).status_code == 200
    assert Client(mounted).get("/users/6", buffered=True).status_code == 200
    mounted_request, root_request = spans.named("flask.request")
    for span in (mounted_request, spans.named("flask.application")[0]):
        assert_span(span, resource="GET /users/<int:uid>", meta={"flask.resource.full": "GET /api/users/<int:uid>"})
    assert_span(root_request, resource="GET /users/<int:uid>", absent=["flask.resource.full"])


HELPER_OUTSIDE_A_REQUEST = """
import flask
from ddtrace.trace import TraceFilter, tracer

class Print(TraceFilter):
    def process_trace(self, trace):
        for span in trace:
            print(span.name, span.service, span.get_tag("_dd.svc_src"))
        return None

tracer.configure(trace_processors=[Print()])
app = flask.Flask("shop")
app.add_url_rule("/", "index", lambda: flask.jsonify(inside=True))
with app.app_context():
    flask.jsonify(outside=True)
app.test_client().get("/", buffered=True)
"""


def test_helpers_outside_a_request_take_the_applications_service():
    env = {"DD_SERVICE": "storefront", "DD_FLASK_SERVICE": "shop"}
    out = run_python(HELPER_OUTSIDE_A_REQUEST, env, prefix=(bin_path("ddtrace-integrations"), "run"))
    spans = [line.split() for line in out.splitlines()]
    assert spans[0] == ["flask.jsonify", "storefront", "None"]  # the root of its own trace, in an app context
    request = next(s for s in spans if s[0] == "flask.request")
    inside = [s for s in spans if s[0] == "flask.jsonify"][1]
    assert request[1] == inside[1] == "shop"


def test_unmatched_request_is_named_by_its_status_and_not_an_error(client, spans):
    assert client.get("/nowhere", buffered=True).status_code == 404
    request = spans.one("flask.request")
    assert_span(request, resource="GET 404", error=0, meta={"http.status_code": "404"}, absent=["http.route"])
    assert spans.one("flask.dispatch_request").error == 0  # NotFound is how Flask answers, not a failure


def test_exception_in_a_view_is_a_500_with_the_error_where_it_was_raised(client, spans):
    response = client.get("/boom", buffered=True)
    assert response.status_code == 500 and b"Internal Server Error" in response.data
    request, view = spans.one("flask.request"), spans.one("flask_app.boom")
    assert_span(request, error=1, meta={"http.status_code": "500"})
    assert_span(view, error=1, meta={"error.type": "builtins.ValueError", "error.message": "boom"})
    assert spans.one("flask.handle_user_exception").error == 1
    assert spans.one("flask.handle_exception").error == 0  # it turned the exception into the 500


def test_registered_error_handler_and_http_exceptions(client, spans):
    assert client.get("/teapot", buffered=True).status_code == 418
    assert client.get("/forbidden", buffered=True).status_code == 403
    assert spans.one("flask_app.handle_teapot").error == 0
    assert [s.error for s in spans.named("flask.request")] == [0, 0]
    http_exception = spans.one("flask.handle_http_exception")
    assert http_exception.parent_id == spans.named("flask.handle_user_exception")[1].span_id


def test_template_render_is_named_after_the_template_and_inherits_the_service(client, spans, monkeypatch):
    monkeypatch.setitem(dd.config.flask, "service", "shop")
    assert client.post("/greet/ann", buffered=True).data == b"<p>Hello ann</p>"
    render = spans.one("flask.render_template_string")
    assert_span(render, service="shop", resource="<memory>", span_type="template")
    assert render.get_tag("flask.template_name") == "<memory>"


def test_streamed_response_ends_the_request_when_the_server_closes_it(served, spans):
    with httpx.Client() as client:
        assert client.get(served + "/stream").text == "chunk 0\nchunk 1\nchunk 2\n"
    request, response = spans.wait_for("flask.request"), spans.one("flask.response")
    assert response.parent_id == request.span_id
    assert request.finished and response.start_ns >= spans.one("flask.application").start_ns
    assert request.start_ns + request.duration_ns >= response.start_ns + response.duration_ns


def test_distributed_headers_continue_the_callers_trace(client, spans, monkeypatch):
    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}
    client.get("/", headers=headers, buffered=True)
    request = spans.one("flask.request")
    assert (request.trace_id, request.parent_id) == (1234, 5678)
    monkeypatch.setitem(dd.config.flask, "distributed_tracing_enabled", False)
    client.get("/", headers=headers, buffered=True)
    assert spans.named("flask.request")[1].trace_id != 1234


def test_api_gateway_span_is_the_parent_of_the_request_and_continues_the_callers_trace(client, spans, monkeypatch):
    monkeypatch.setattr(dd.config, "_inferred_proxy_services_enabled", True)  # DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED
    assert client.get("/users/7", headers=GATEWAY_HEADERS, buffered=True).status_code == 200
    assert_gateway_parent(spans.one("aws.apigateway"), spans.one("flask.request"))


def test_traced_httpx_client_and_traced_flask_server_make_one_trace(served, spans):
    ddtrace_integrations.patch(httpx=True)
    try:
        with tracer.trace("checkout") as root, httpx.Client() as client:
            client.get(served + "/users/7")
    finally:
        ddtrace_integrations.unpatch(httpx=True)
    server_span = spans.wait_for("flask.request")
    client_span = spans.one("http.request")
    assert client_span.parent_id == root.span_id
    assert {client_span.trace_id, server_span.trace_id} == {root.trace_id}
    assert server_span.parent_id == client_span.span_id


def test_app_and_routes_created_before_patching_still_get_the_request_span(spans):
    app = create_app()  # Flask is not patched yet: its views and hooks are registered untraced
    ddtrace_integrations.patch(flask=True)
    try:
        assert app.test_client().get("/users/3", buffered=True).status_code == 200
    finally:
        ddtrace_integrations.unpatch(flask=True)
    assert_span(spans.one("flask.request"), resource="GET /users/<int:uid>", meta={"http.status_code": "200"})
    assert spans.named("flask_app.user") == []  # views are traced when registered (as with ddtrace)


def test_unpatch_restores_flask(spans):
    original = flask.Flask.wsgi_app
    ddtrace_integrations.patch(flask=True)
    assert flask.Flask.wsgi_app is not original
    ddtrace_integrations.unpatch(flask=True)
    assert flask.Flask.wsgi_app is original
    create_app().test_client().get("/", buffered=True)
    assert spans.spans == []


@pytest.mark.parametrize("path", ["/", "/users/3", "/greet/ann", "/teapot", "/nowhere"])
def test_with_the_plugins_shut_down_the_wrappers_only_call_through(client, spans, path):
    plugins = "ddtrace_integrations.tracing_plugins.contrib.flask"
    tracing_plugins.shutdown(plugins)
    try:
        responses = []
        ran, nested = disabled_path_calls(lambda: responses.append(client.get(path, buffered=True)))
    finally:
        tracing_plugins.initialize(plugins)
    assert responses[0].status_code in (200, 404, 418)
    assert ran > 5  # wsgi_app, the steps, hooks, views and signals' receivers went through v2's wrappers
    assert nested == []
    assert spans.spans == []
