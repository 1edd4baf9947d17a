"""Django under v2: Django's test client, a real WSGI server (wsgiref) and uvicorn (more ASGI servers:
test_asgi_servers.py); the
request span, the middleware and view tree, class-based views, errors, distributed tracing, the optional
template and cache spans, propagation from a traced httpx client, and unpatching.

Django is patched once for the session (``django_app`` in tests/contrib/conftest.py), before the djapp URLconf
is imported: views are traced when ``path()`` and ``View.as_view()`` register them, so the URLconf cannot be
re-imported untraced (unpatching runs in a subprocess). There is no ``__init__.py`` here on purpose:
``tests/contrib/django`` would shadow Django.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import sys
import threading
from pathlib import Path
from typing import Iterator
from typing import List
from urllib.parse import urlsplit

import httpx
import pytest
from ddtrace.trace import Span
from ddtrace.trace import tracer
from helpers import GATEWAY_HEADERS
from helpers import SPAN_COUNTER
from helpers import assert_gateway_parent
from helpers import assert_no_secret
from helpers import assert_span
from helpers import bin_path
from helpers import disabled_path_calls
from helpers import run_python
from http_server import uvicorn_serving

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import tracing_plugins

HERE = Path(__file__).resolve().parent  # holds the djapp package
HEADERS = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}


@pytest.fixture
def client(django_app):
    """Django's test client (WSGI: BaseHandler.get_response); a view's exception becomes Django's 500 page."""
    from django.test import Client

    return Client(raise_request_exception=False)


@pytest.fixture
def wsgi_served(django_app) -> Iterator[str]:
    """The project behind wsgiref's real server, one request at a time (as the workload serves it)."""
    from wsgiref.simple_server import WSGIRequestHandler
    from wsgiref.simple_server import make_server

    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def asgi_served(django_app) -> Iterator[str]:
    """``get_asgi_application()`` (which our patch wraps) behind uvicorn."""
    from django.core.asgi import get_asgi_application

    with uvicorn_serving(get_asgi_application()) as url:
        yield url


@pytest.fixture
def asgi_async_chain(django_app) -> Iterator[str]:
    """As ``asgi_served``, with an async-only class middleware first in the chain."""
    from django.conf import settings
    from django.core.asgi import get_asgi_application
    from django.test import override_settings

    with override_settings(MIDDLEWARE=["djapp.middleware.AsyncOnlyMiddleware", *settings.MIDDLEWARE]):
        application = get_asgi_application()  # its handler loads the middleware chain now
    with uvicorn_serving(application) as url:
        yield url


def children(spans, parent: Span) -> List[str]:
    """The resources of ``parent``'s children, in the order they started."""
    return [s.resource for s in sorted(spans.spans, key=lambda s: s.start_ns) if s.parent_id == parent.span_id]


def middleware(spans, resource: str) -> Span:
    return spans.one("django.middleware", resource)


def test_request_span_names_the_route_and_carries_the_user(client, spans):
    response = client.get("/users/7?page=2&token=s3cr3t", headers={"X-User-Id": "7"})
    assert response.status_code == 200 and response.json() == {"id": 7, "name": "user7"}
    request = spans.one("django.request")
    assert_span(
        request,
        service="django",
        resource="GET users/<int:uid>",
        span_type="web",
        error=0,
        meta={
            "component": "django",
            "span.kind": "server",
            "http.method": "GET",
            "http.route": "users/<int:uid>",
            "http.status_code": "200",
            "http.url": "http://testserver/users/7?page=2&<redacted>",
            "django.view": "user",
            "django.request.class": "django.core.handlers.wsgi.WSGIRequest",
            "django.response.class": "django.http.response.JsonResponse",
            "django.user.is_authenticated": "True",
            "django.user.id": "7",
            "usr.id": "7",
            "django.user.name": "alice",
        },
        metrics={"_dd.measured": 1},
        absent=["django.namespace", "django.app", "django.response.template"],
    )
    assert request.parent_id is None
    assert_no_secret(spans.spans, "s3cr3t")
    view = spans.one("django.view", "djapp.views.user")
    assert_span(view, service="django", error=0, meta={"component": "django"})
    # off by default (DD_DJANGO_TRACING_MINIMAL): the view's cache calls make no spans
    assert spans.named("django.cache") == [] and spans.named("django.template.render") == []


def test_anonymous_request_is_not_authenticated(client, spans):
    assert client.get("/").content == b"index"
    assert_span(
        spans.one("django.request"),
        resource="GET ^/",  # the empty route falls back to the root resolver's pattern
        meta={"http.route": "^/", "django.view": "djapp.views.index", "django.user.is_authenticated": "False"},
        absent=["django.user.id", "usr.id", "django.user.name"],
    )


def test_middleware_spans_nest_as_django_calls_them(client, spans):
    from django.conf import settings

    client.get("/users/7?page=2", headers={"X-User-Id": "7"})
    *classes, function = settings.MIDDLEWARE  # MiddlewareMixin classes, then the stamp_middleware factory
    parent = spans.one("django.request")
    for path in classes:  # each __call__ runs the next middleware's __call__
        call = middleware(spans, f"{path}.__call__")
        assert_span(call, service="django", span_type=None, error=0, meta={"component": "django"})
        assert call.parent_id == parent.span_id, path
        assert middleware(spans, f"{path}.process_request").parent_id == call.span_id
        parent = call
    assert children(spans, spans.one("django.request")) == [f"{classes[0]}.__call__"]
    hook = "djapp.middleware.HookMiddleware"
    assert children(spans, middleware(spans, f"{hook}.__call__")) == [
        f"{hook}.process_request",
        function,
        f"{hook}.process_response",
    ]
    stamp = middleware(spans, function)
    assert function == "djapp.middleware.stamp_middleware"
    assert children(spans, stamp) == [
        "django.middleware.csrf.CsrfViewMiddleware.process_view",
        f"{hook}.process_view",
        "djapp.views.user",
    ]
    assert spans.one("django.view", "djapp.views.user").parent_id == stamp.span_id
    # a hook a class does not define makes no span (AuthenticationMiddleware has no process_response)
    resources = {s.resource for s in spans.named("django.middleware")}
    assert "django.contrib.auth.middleware.AuthenticationMiddleware.process_response" not in resources


def test_middleware_hooks_are_functions_on_their_classes_and_async_ones_stay_coroutine_functions(client, spans):
    """Hooks are set on their classes as plain functions (``Publisher.wrap_method``): a wrapt proxy there builds a
    bound wrapper on every hook call, and a request makes twenty. A view's methods keep wrapt proxies (see
    ``_instrument_methods``); a coroutine method's still answers ``iscoroutinefunction`` as Django asks."""
    import inspect

    import wrapt
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.utils.deprecation import MiddlewareMixin
    from djapp.middleware import HookMiddleware
    from djapp.views import AsyncItemView

    client.get("/users/7")  # the first request loads the middleware, which wraps its hooks
    for owner, name in [
        (MiddlewareMixin, "__call__"),
        (SessionMiddleware, "process_request"),
        (SessionMiddleware, "process_response"),
        (HookMiddleware, "process_view"),
    ]:
        method = vars(owner)[name]
        assert inspect.isfunction(method) and not isinstance(method, wrapt.ObjectProxy), (owner, name)
        assert inspect.isfunction(method.__wrapped__) and method.__wrapped__ is not method, (owner, name)
    handler = vars(AsyncItemView)["get"]
    assert isinstance(handler, wrapt.FunctionWrapper) and inspect.iscoroutinefunction(handler)
    assert AsyncItemView.view_is_async
    assert spans.one("django.middleware", "django.contrib.sessions.middleware.SessionMiddleware.process_request")
    assert spans.one("django.middleware", "djapp.middleware.HookMiddleware.process_view")


def test_class_based_view_spans_its_lifecycle(client, spans):
    assert client.get("/items/apple").json() == {"item": "apple"}
    request = spans.one("django.request")
    assert_span(
        request,
        resource="GET items/<slug:name>",
        error=0,
        meta={"http.route": "items/<slug:name>", "http.status_code": "200", "django.view": "djapp.views.ItemView"},
    )
    view = spans.one("django.view", "djapp.views.ItemView")
    assert view.parent_id == middleware(spans, "djapp.middleware.stamp_middleware").span_id
    assert children(spans, view) == ["django.views.generic.base.View.setup", "djapp.views.ItemView.dispatch"]
    setup = spans.one("django.view.setup", "django.views.generic.base.View.setup")
    dispatch = spans.one("django.view.dispatch", "djapp.views.ItemView.dispatch")  # csrf_exempt's own dispatch
    assert setup.parent_id == dispatch.parent_id == view.span_id
    assert spans.one("django.view.get", "djapp.views.ItemView.get").parent_id == dispatch.span_id
    for span in (view, setup, dispatch):
        assert_span(span, service="django", error=0, meta={"component": "django"})


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Django marks async as_view() views for inspect from 3.12")
def test_async_class_based_view_span_covers_its_handler(client, spans):
    """On Python 3.12+ ``as_view()`` of an async view is a coroutine function to ``inspect``: ddtrace's view span
    then awaits it, and so does ours (on 3.11 both end the span when the coroutine is returned)."""
    assert client.get("/async-items/fig").content == b"async fig"
    view = spans.one("django.view", "djapp.views.AsyncItemView")
    handler = spans.one("django.view.get", "djapp.views.AsyncItemView.get")
    assert handler.parent_id == view.span_id
    assert view.start_ns + view.duration_ns >= handler.start_ns + handler.duration_ns


def test_generic_view_methods_are_named_after_the_class_defining_them(client, spans):
    assert client.get("/about").content == b"<p>Hello about</p>\n"
    view = spans.one("django.view", "django.views.generic.base.TemplateView")
    assert children(spans, view) == ["django.views.generic.base.View.setup", "django.views.generic.base.View.dispatch"]
    dispatch = spans.one("django.view.dispatch", "django.views.generic.base.View.dispatch")
    assert children(spans, dispatch) == ["django.views.generic.base.TemplateView.get"]
    assert_span(
        spans.one("django.request"),
        resource="GET about",
        meta={"django.view": "django.views.generic.base.TemplateView", "django.response.template": "hello.html"},
    )


def test_included_namespaced_regex_route(client, spans):
    assert client.get("/api/v2/ping").content == b"pong v2"
    route = "api/v(?P<version>[0-9]+)/ping$"  # "api/" + the included re_path, as Django joins them
    assert_span(
        spans.one("django.request"),
        resource=f"GET {route}",
        meta={"http.route": route, "django.view": "api:ping", "django.namespace": "api", "django.app": "api"},
    )
    assert spans.one("django.view", "djapp.views.ping").error == 0


def test_method_not_allowed_is_answered_by_the_views_lifecycle_not_an_error(client, spans):
    assert client.delete("/items/plum").status_code == 405
    assert_span(
        spans.one("django.request"),
        resource="DELETE items/<slug:name>",
        error=0,
        meta={"http.status_code": "405", "django.response.class": "django.http.response.HttpResponseNotAllowed"},
    )
    dispatch = spans.one("django.view.dispatch", "djapp.views.ItemView.dispatch")
    resource = "django.views.generic.base.View.http_method_not_allowed"
    not_allowed = spans.one("django.view.http_method_not_allowed", resource)
    assert not_allowed.parent_id == dispatch.span_id and not_allowed.error == 0
    assert spans.named("django.view.get") == [] and spans.named("django.view.delete") == []


def test_unmatched_request_is_named_by_its_status_and_not_an_error(client, spans):
    assert client.get("/nowhere").status_code == 404
    assert_span(
        spans.one("django.request"),
        resource="GET 404",
        error=0,
        meta={"http.status_code": "404", "django.response.class": "django.http.response.HttpResponseNotFound"},
        absent=["http.route", "django.view"],
    )
    assert spans.named("django.view") == []
    assert all(s.error == 0 for s in spans.spans)


def test_exception_in_a_view_is_a_500_with_the_error_on_the_view(client, spans):
    response = client.get("/boom")
    assert response.status_code == 500  # Django's own 500 page: the exception does not reach the server
    request, view = spans.one("django.request"), spans.one("django.view", "djapp.views.boom")
    assert_span(
        request,
        resource="GET boom",
        error=1,
        meta={
            "http.status_code": "500",
            "http.route": "boom",
            "django.response.class": "django.http.response.HttpResponseServerError",
        },
        absent=["error.type", "error.message"],  # an error because of the 5xx status, not an exception
    )
    assert_span(view, error=1, meta={"error.type": "builtins.ValueError", "error.message": "boom"})
    assert "ValueError" in view.get_tag("error.stack")
    exception_hook = middleware(spans, "djapp.middleware.HookMiddleware.process_exception")
    assert exception_hook.error == 0  # it returned None: Django's handler made the response
    assert exception_hook.parent_id == view.parent_id
    assert [s for s in spans.named("django.middleware") if s.error] == []
    # Django's 500 handler is wrapped in requires_csrf_token, a subclass reusing CsrfViewMiddleware's traced hooks
    ensure = "django.views.decorators.csrf._EnsureCsrfToken"
    assert children(spans, middleware(spans, "djapp.middleware.stamp_middleware")) == [
        "django.middleware.csrf.CsrfViewMiddleware.process_view",
        "djapp.middleware.HookMiddleware.process_view",
        "djapp.views.boom",
        "djapp.middleware.HookMiddleware.process_exception",
        f"{ensure}.process_request",
        f"{ensure}.process_view",
        f"{ensure}.process_response",
    ]


def test_distributed_headers_continue_the_callers_trace(client, spans, monkeypatch):
    client.get("/headers", headers=HEADERS)
    request = spans.one("django.request")
    assert (request.trace_id, request.parent_id) == (int(HEADERS["x-datadog-trace-id"]), 5678)
    assert {s.trace_id for s in spans.spans} == {1234}  # the view and middleware spans too
    spans.clear()
    monkeypatch.setitem(dd.config.django, "distributed_tracing_enabled", False)
    client.get("/headers", headers=HEADERS)
    request = spans.one("django.request")
    assert request.trace_id != 1234 and request.parent_id is None


def test_templates_are_traced_only_when_instrument_templates_is_on(client, spans, monkeypatch):
    assert client.get("/render").content == b"<p>Hello render</p>\n"
    assert spans.named("django.template.render") == []
    spans.clear()
    # v2 reads the switch on every call, so a test can turn it on here. (ddtrace also reads it when patching and
    # only wraps Template.render if it was on then; under DD_DJANGO_INSTRUMENT_TEMPLATES both behave alike.)
    monkeypatch.setitem(dd.config.django, "instrument_templates", True)
    client.get("/render")
    render = spans.one("django.template.render")
    assert_span(
        render,
        service="django",
        resource="hello.html",
        span_type="template",
        error=0,
        meta={
            "component": "django",
            "django.template.name": "hello.html",
            "django.template.engine.class": "django.template.engine.Engine",
        },
    )
    assert render.parent_id == spans.one("django.view", "djapp.views.rendered").span_id
    spans.clear()
    assert client.get("/nowhere").status_code == 404  # Django's 404 page is an unnamed inline Template
    inline = spans.one("django.template.render")
    assert_span(inline, resource="django.template.base.Template.render", span_type="template", error=0)
    assert_span(inline, absent=["django.template.name"])


def test_template_response_is_rendered_under_its_own_span(client, spans, monkeypatch):
    monkeypatch.setitem(dd.config.django, "instrument_templates", True)
    assert client.get("/template").content == b"<p>Hello world</p>\n"
    assert_span(
        spans.one("django.request"),
        meta={
            "django.response.class": "django.template.response.TemplateResponse",
            "django.response.template": "hello.html",
        },
    )
    # TemplateView.as_view() in the URLconf wrapped TemplateResponse.render, for every view's TemplateResponse
    render = spans.one("django.response.render", "django.template.response.TemplateResponse.render")
    assert render.parent_id == middleware(spans, "djapp.middleware.stamp_middleware").span_id
    assert spans.one("django.template.render", "hello.html").parent_id == render.span_id


CACHES_SCRIPT = """
import django
import json, os, sys
from ddtrace.trace import TraceFilter, tracer
sys.path.insert(0, {djapp!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "djapp.settings"
_spans = []
class _Keep(TraceFilter):
    def process_trace(self, trace):
        _spans.extend(trace)
        return None
tracer.configure(trace_processors=[_Keep()])
django.setup()
from django.test import Client
for path in {paths!r}:
    assert Client().get(path).status_code == 200
by_id = {{s.span_id: s for s in _spans}}
print(json.dumps([
    dict(name=s.name, resource=s.resource, service=s.service, type=s.span_type, error=s.error, meta=s.get_tags(),
         metrics=s.get_metrics(), parent=getattr(by_id.get(s.parent_id), "resource", None))
    for s in sorted(_spans, key=lambda s: s.start_ns) if s.name == "django.cache"
]))
"""


@pytest.mark.parametrize("path", ["/users/7", "/render", "/template", "/items/x", "/nowhere"])
def test_with_the_plugins_shut_down_the_wrappers_only_call_through(client, spans, monkeypatch, path):
    monkeypatch.setitem(dd.config.django, "instrument_templates", True)  # the switch is read after the listeners
    client.get(path)  # the handler loads (and v2 wraps) the middleware on its first request
    spans.clear()
    plugins = "ddtrace_integrations.tracing_plugins.contrib.django"
    tracing_plugins.shutdown(plugins)
    try:
        responses = []
        ran, nested = disabled_path_calls(lambda: responses.append(client.get(path)))
    finally:
        tracing_plugins.initialize(plugins)
    assert responses[0].status_code in (200, 404)
    assert ran > 10  # get_response, the middleware hooks and the view went through v2's wrappers
    assert nested == []
    assert spans.spans == []


def test_with_the_plugins_shut_down_the_async_handler_only_calls_through(django_app, spans):
    from django.test import AsyncClient

    client = AsyncClient()
    asyncio.run(client.get("/async"))  # the handler loads (and v2 wraps) the middleware on its first request
    spans.clear()
    plugins = "ddtrace_integrations.tracing_plugins.contrib.django"
    tracing_plugins.shutdown(plugins)
    try:
        responses = []
        ran, nested = disabled_path_calls(lambda: responses.append(asyncio.run(client.get("/async"))))
    finally:
        tracing_plugins.initialize(plugins)
    assert responses[0].json() == {"async": True}
    assert ran > 1  # get_response_async and the view went through v2's wrappers
    assert nested == []
    assert spans.spans == []


def test_caches_are_traced_when_instrument_caches_is_on_at_setup():
    """Cache backends are wrapped when the app registry is populated, so the switch is set from the start."""
    script = CACHES_SCRIPT.format(djapp=str(HERE), paths=["/users/7", "/users/7"])
    out = run_python(script, {"DD_DJANGO_INSTRUMENT_CACHES": "true"}, prefix=(bin_path("ddtrace-integrations"), "run"))
    calls = json.loads(out.strip().splitlines()[-1])
    module = "django.core.cache.backends.locmem"
    # first request: a miss, then the name is stored; second request: a hit
    assert [(c["resource"], c["metrics"].get("db.row_count")) for c in calls] == [
        (f"{module}.get", 0),
        (f"{module}.set", 0),
        (f"{module}.get", 1),
    ]
    for call in calls:
        assert (call["service"], call["type"], call["parent"]) == ("django", "cache", "djapp.views.user")
        assert call["meta"]["component"] == "django"
        assert call["meta"]["django.cache.backend"] == f"{module}.LocMemCache"
        assert call["meta"]["django.cache.key"] == "user:7"
    assert json.loads(run_python(script, prefix=(bin_path("ddtrace-integrations"), "run")).splitlines()[-1]) == []


def test_cache_spans_count_the_values_found():
    """``db.row_count`` as ddtrace counts it: a get finds its value unless it returns None or the backend's
    missing-key sentinel (or a value that cannot be compared with it); a get_many, the keys it returns."""
    script = CACHES_SCRIPT.format(djapp=str(HERE), paths=["/cache"])
    out = run_python(script, {"DD_DJANGO_INSTRUMENT_CACHES": "true"}, prefix=(bin_path("ddtrace-integrations"), "run"))
    calls = [
        (method, c["meta"]["django.cache.key"], c["metrics"].get("db.row_count"), c["parent"], c["error"])
        for c in json.loads(out.strip().splitlines()[-1])
        for method in [c["resource"].rpartition(".")[2]]
        if method in ("get", "get_many", "incr")
    ]
    view, many = "djapp.views.cache_counts", "django.core.cache.backends.base.get_many"
    assert calls == [
        ("get", "hit", 1, view, 0),
        ("get", "miss", 0, view, 0),
        ("get", "zero", 1, view, 0),  # a falsy value is found
        ("get", "uncomparable", 0, view, 0),  # its == raises: it cannot be told from the sentinel
        ("get", "uncountable", 1, view, 0),  # its len() and truth test are never called
        ("get_many", "hit zero miss", 2, view, 0),  # the dict of the keys found
        ("get", "hit", 1, many, 0),
        ("get", "zero", 1, many, 0),
        ("get", "miss", 0, many, 0),  # BaseCache.get_many's own get: the sentinel for a missing key
        ("get_many", "miss gone", 0, view, 0),
        ("get", "miss", 0, many, 0),
        ("get", "gone", 0, many, 0),
        ("incr", "miss", None, view, 1),  # it raised: nothing counted
    ]


def test_traced_httpx_client_and_traced_django_server_make_one_trace(wsgi_served, spans):
    ddtrace_integrations.patch(httpx=True)
    try:
        with tracer.trace("checkout") as root, httpx.Client() as http:
            response = http.get(wsgi_served + "/users/7")
    finally:
        ddtrace_integrations.unpatch(httpx=True)
    assert response.json() == {"id": 7, "name": "user7"}
    server_span = spans.wait_for("django.request")
    client_span = spans.one("http.request")
    assert client_span.parent_id == root.span_id
    assert server_span.parent_id == client_span.span_id
    assert {s.trace_id for s in spans.spans} == {root.trace_id}
    assert_span(server_span, resource="GET users/<int:uid>", meta={"http.status_code": "200"})
    assert spans.one("django.view", "djapp.views.user").trace_id == root.trace_id


@pytest.mark.parametrize("server", ["wsgi_served", "asgi_served"])
def test_api_gateway_span_is_the_parent_of_the_request_and_continues_the_callers_trace(
    server, request, spans, monkeypatch
):
    monkeypatch.setattr(dd.config, "_inferred_proxy_services_enabled", True)  # DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED
    with httpx.Client() as http:
        assert http.get(request.getfixturevalue(server) + "/users/7", headers=GATEWAY_HEADERS).status_code == 200
    django_request = spans.wait_for("django.request")  # the server's trace arrives whole
    assert_gateway_parent(spans.one("aws.apigateway"), django_request)
    assert {s.trace_id for s in spans.spans} == {1234}


ERROR_TAGS = ["error.type", "error.message", "error.stack"]


@pytest.mark.parametrize(
    ("path", "view", "coroutine"),
    [
        ("/hang", "djapp.views.hang", ("django.view", "djapp.views.hang")),
        ("/hang/class", "djapp.views.HangView", ("django.view.get", "djapp.views.HangView.get")),
    ],
)
def test_client_disconnect_cancels_the_async_spans_without_an_error(asgi_async_chain, spans, path, view, coroutine):
    """Django cancels the request's task when the client leaves: as under ddtrace, the spans of the coroutines
    it cancels (view, async middleware) end without an error, and the CancelledError still reaches Django."""
    from djapp.middleware import AsyncOnlyMiddleware
    from djapp.views import hang_started

    AsyncOnlyMiddleware.raised.clear()
    hang_started.clear()
    conn = http.client.HTTPConnection(urlsplit(asgi_async_chain).netloc, timeout=10)
    conn.request("GET", path)
    assert hang_started.wait(10), "the view did not start"
    conn.close()  # the client leaves while the view waits
    request = spans.wait_for("django.request")
    assert [type(exc) for exc in AsyncOnlyMiddleware.raised] == [asyncio.CancelledError]
    assert_span(
        request,
        resource=f"GET {path[1:]}",
        error=0,
        meta={"http.route": path[1:], "django.view": view, "component": "django"},
        absent=["http.status_code", *ERROR_TAGS],  # no response was sent
    )
    cancelled = [
        middleware(spans, "djapp.middleware.AsyncOnlyMiddleware.__call__"),
        middleware(spans, "djapp.middleware.stamp_middleware"),
        spans.one(*coroutine),
    ]
    for span in cancelled:
        assert_span(span, service="django", error=0, meta={"component": "django"}, absent=ERROR_TAGS)
        assert span.trace_id == request.trace_id and span.duration_ns is not None
    assert [s.name for s in spans.spans if s.error] == []


async def test_async_client_without_an_asgi_server_has_no_request_span(django_app, spans):
    """AsyncClient calls get_response_async directly: the request span belongs to the ASGI application (none
    here), so, as with ddtrace, the view's span is a root of its own."""
    from django.test import AsyncClient

    response = await AsyncClient().get("/async")
    assert response.json() == {"async": True}
    assert spans.named("django.request") == []
    view = spans.one("django.view", "djapp.views.async_view")
    assert view.error == 0


UNPATCH_SCRIPT = """
import os, sys
sys.path.insert(0, {djapp!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "djapp.settings"
import django, django.urls
from django.core.handlers.base import BaseHandler
from django.views.generic.base import View
import ddtrace_integrations
def current():
    return (BaseHandler.get_response, django.urls.path, View.__dict__["as_view"])
originals = current()
ddtrace_integrations.patch(django=True)
assert all(now is not before for now, before in zip(current(), originals)), "not patched"
ddtrace_integrations.unpatch(django=True)
assert all(now is before for now, before in zip(current(), originals)), "not restored"
django.setup()
from django.test import Client
assert Client().get("/users/7").status_code == 200
print(spans_named("django.request"), spans_named("django.view"), spans_named("django.middleware"))
"""


def test_unpatch_restores_django():
    assert run_python(SPAN_COUNTER + UNPATCH_SCRIPT.format(djapp=str(HERE))).split() == ["0", "0", "0"]
