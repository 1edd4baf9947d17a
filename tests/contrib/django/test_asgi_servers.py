"""Django under real ASGI servers: uvicorn and daphne, each serving Django's ASGI application alone or behind a
channels ``ProtocolTypeRouter``/``URLRouter`` (djapp.routing), with the djapp middleware or with an async-only
middleware added (djapp.settings_async). Each request is one trace: the ``django.request`` root with the
middleware and view spans inside it; the plain ASGI app that channels routes next to Django is not traced.

Django is patched for the session (``django_app`` in tests/contrib/conftest.py). Twisted's reactor runs once
per process, so one daphne server serves the whole module and each test hands it the application to serve.
"""

from __future__ import annotations

import importlib
import threading
import time
import warnings
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import List

import httpx
import pytest
from ddtrace.trace import Span
from helpers import SPAN_COUNTER
from helpers import assert_span
from helpers import bin_path
from helpers import run_python
from http_server import free_port
from http_server import uvicorn_serving

HERE = Path(__file__).resolve().parent  # holds the djapp package
SERVERS = ["uvicorn", "daphne", "channels-uvicorn", "channels-daphne"]


class _Served:
    """The application the module's daphne server hands each connection to, and the server's URL."""

    app: Any = None
    url = ""

    async def __call__(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def daphne() -> Iterator[_Served]:
    from daphne.server import Server  # first: it installs Twisted's asyncio reactor
    from twisted.internet import reactor

    served, listening, port = _Served(), threading.Event(), free_port()
    endpoint = f"tcp:port={port}:interface=127.0.0.1"
    server = Server(served, [endpoint], signal_handlers=False, verbosity=0, ready_callable=listening.set)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not listening.wait(0.02):
        assert thread.is_alive(), "daphne did not start"
    served.url = f"http://127.0.0.1:{port}"
    yield served
    reactor.callFromThread(reactor.stop)
    thread.join(10)


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings() -> str:
    """The settings module whose middleware the application loads (tests parametrize it)."""
    return "djapp.settings"


@pytest.fixture
def asgi_served(django_app: None, server: str, settings: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """``get_asgi_application()`` (which our patch wraps), routed by channels for the channels-* servers, built
    after patching (as under ``ddtrace-integrations run``) and served by the server under test."""
    from django.core.asgi import get_asgi_application
    from django.test import override_settings

    with override_settings(MIDDLEWARE=importlib.import_module(settings).MIDDLEWARE):
        application = get_asgi_application()
    if server.startswith("channels-"):
        from djapp.routing import router

        application = router(application)
    with warnings.catch_warnings():
        # Django says so when it serves a synchronous streaming iterator (the /stream view) under ASGI.
        warnings.filterwarnings("ignore", "StreamingHttpResponse must consume synchronous iterators")
        if server.endswith("daphne"):
            served = request.getfixturevalue("daphne")
            served.app = application
            yield served.url
            served.app = None
        else:
            with uvicorn_serving(application) as url:
                yield url


def _requests_traced(spans, count: int) -> List[Span]:
    """The ``django.request`` spans once ``count`` of them were recorded (each ends in the server's thread)."""
    deadline = time.monotonic() + 10
    while len(spans.named("django.request")) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    requests = spans.named("django.request")
    assert len(requests) == count, [(s.name, s.resource) for s in spans.spans]
    return requests


def _ancestors(span: Span, trace: List[Span]) -> List[Span]:
    """``span``'s parent, its parent's parent, and so on up to the root of ``trace``."""
    by_id = {s.span_id: s for s in trace}
    found = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        found.append(span)
    return found


def test_asgi_request_span_covers_the_streamed_body(asgi_served, spans):
    with httpx.Client() as http:
        response = http.get(asgi_served + "/stream")
    assert response.text == "".join(f"line {i}\n" for i in range(5))
    request = spans.wait_for("django.request")
    assert_span(
        request,
        service="django",
        resource="GET stream",
        span_type="web",
        error=0,
        meta={
            "component": "django",
            "span.kind": "server",
            "http.method": "GET",
            "http.route": "stream",
            "http.status_code": "200",
            "http.version": response.http_version.split("/")[1],
            "asgi.version": "3.0",
            "django.view": "djapp.views.stream",
            "django.request.class": "django.core.handlers.asgi.ASGIRequest",
            "django.response.class": "django.http.response.StreamingHttpResponse",
        },
        metrics={"_dd.measured": 1},
    )
    view = spans.one("django.view", "djapp.views.stream")
    assert view.trace_id == request.trace_id
    assert view.parent_id == spans.one("django.middleware", "djapp.middleware.stamp_middleware").span_id
    assert request.start_ns + request.duration_ns >= view.start_ns + view.duration_ns
    # the async middleware chain: the class middleware spans are the request span's direct children
    security = spans.one("django.middleware", "django.middleware.security.SecurityMiddleware.__call__")
    assert security.parent_id == request.span_id


# path -> (the resource of its request span, the view spans inside it)
PAGES = {
    "/": ("GET ^/", ["djapp.views.index"]),  # a synchronous function view at the root
    "/users/7": ("GET users/<int:uid>", ["djapp.views.user"]),
    "/items/apple": ("GET items/<slug:name>", ["djapp.views.ItemView"]),
    "/async": ("GET async", ["djapp.views.async_view"]),
}


@pytest.mark.parametrize("settings", ["djapp.settings", "djapp.settings_async"])
def test_each_request_is_one_trace_holding_its_middleware_and_views(asgi_served, settings, spans):
    with httpx.Client() as http:
        for path in PAGES:
            assert http.get(asgi_served + path).status_code == 200
    requests = {s.resource: s for s in _requests_traced(spans, len(PAGES))}
    assert sorted(requests) == sorted(resource for resource, _ in PAGES.values())
    traces = {s.trace_id for s in requests.values()}
    assert [(s.name, s.resource) for s in spans.spans if s.trace_id not in traces] == []
    async_only = "djapp.middleware.async_stamp_middleware"
    for resource, views in PAGES.values():
        request = requests[resource]
        assert request.parent_id is None
        trace = [s for s in spans.spans if s.trace_id == request.trace_id]
        assert sorted(s.resource for s in trace if s.name == "django.view") == views
        for view in (s for s in trace if s.name == "django.view"):
            above = _ancestors(view, trace)
            assert above[-1] is request
            assert (async_only in [s.resource for s in above]) == (settings == "djapp.settings_async")
        middleware = [s.resource for s in trace if s.name == "django.middleware"]
        assert "django.middleware.security.SecurityMiddleware.__call__" in middleware
        assert (async_only in middleware) == (settings == "djapp.settings_async")


@pytest.mark.parametrize("server", ["channels-uvicorn", "channels-daphne"])
def test_plain_asgi_app_routed_by_channels_is_not_traced(asgi_served, server, spans):
    """As with ddtrace: channels routes with ``path()``, but what it routes to is an ASGI app, not a view."""
    with httpx.Client() as http:
        assert http.get(asgi_served + "/plain").text == "plain"
        assert http.get(asgi_served + "/").text == "index"  # traced: any span of /plain was recorded before
    request = _requests_traced(spans, 1)[0]
    assert [(s.name, s.resource) for s in spans.spans if s.trace_id != request.trace_id] == []


CHANNELS_FIRST = """
import asyncio, os, sys, threading, time, urllib.request
sys.path.insert(0, {djapp!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "djapp.settings"
from channels.routing import URLRouter  # before Django, as an isort-ordered asgi.py imports them
from djapp.routing import application
import uvicorn

server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
thread.start()
while not server.started:
    assert thread.is_alive()
    time.sleep(0.02)
url = "http://127.0.0.1:%d" % server.servers[0].sockets[0].getsockname()[1]
print(*(urllib.request.urlopen(url + path).read().decode() for path in ("/plain", "/")))
server.should_exit = True
thread.join(10)
print(spans_named("django.request"), spans_named("django.view"))
"""


def test_channels_imported_before_django_still_routes_untraced_apps():
    """channels.routing imported before Django is: ddtrace's Django patch fails then; v2 still patches both."""
    script = SPAN_COUNTER + CHANNELS_FIRST.format(djapp=str(HERE))
    out = run_python(script, prefix=(bin_path("ddtrace-integrations"), "run")).splitlines()
    assert out[-2:] == ["plain index", "1 1"]  # one request, one view: djapp.views.index
