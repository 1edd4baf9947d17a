"""Starlette and FastAPI under v2: Starlette's TestClient and a real uvicorn server; route templates, path
params, mounted apps and routers, errors and HTTP exceptions, streamed bodies, background tasks,
serialize_response, propagation, websockets (handshake and messages), and the untraced path once unpatched."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any
from typing import Iterator
from typing import List

import httpx
import pytest
from helpers import SPAN_COUNTER
from helpers import asgi_call
from helpers import assert_span
from helpers import bin_path
from helpers import disabled_path_calls
from helpers import outcome
from helpers import patched_fixture
from helpers import plugins_off
from helpers import run_python
from helpers import wait_for_spans
from http_server import uvicorn_serving

from ddtrace_integrations import tracing_plugins

sys.path.insert(0, str(Path(__file__).parent))
import asgi_apps

patched = patched_fixture(autouse=True, starlette=True, fastapi=True)
FRAMEWORKS = ["starlette", "fastapi"]


def create(framework: str) -> Any:
    return asgi_apps.create_starlette() if framework == "starlette" else asgi_apps.create_fastapi()


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def client(framework: str) -> Any:
    from starlette.testclient import TestClient

    return TestClient(create(framework), raise_server_exceptions=False)


@pytest.fixture
def served(framework: str) -> Iterator[str]:
    with uvicorn_serving(create(framework)) as url:
        yield url


def request_span(spans: Any, framework: str, count: int = 1) -> Any:
    named = wait_for_spans(spans, f"{framework}.request", count)
    found = [s for s in named if s.parent_id is None]
    assert len(found) == 1, [(s.resource, s.trace_id, s.parent_id, s.get_tags()) for s in named]
    return found[0]


def test_route_template_names_the_span(client, framework, spans):
    response = client.get("/items/42?q=tea&token=s3cr3t", headers={"User-Agent": "tests"})
    assert response.status_code == 200
    span = request_span(spans, framework)
    route = "/items/{item_id:int}" if framework == "starlette" else "/items/{item_id}"
    assert_span(
        span,
        name=f"{framework}.request",
        service=framework,
        resource=f"GET {route}",
        span_type="web",
        error=0,
        meta={
            "component": framework,
            "span.kind": "server",
            "http.method": "GET",
            "http.route": route,
            "http.status_code": "200",
            "http.useragent": "tests",
            "http.url": "http://testserver/items/42?q=tea&<redacted>",
        },
    )


def test_the_endpoint_reads_the_route_resource(client, framework, spans):
    """The span is named when the route matches, before the endpoint runs (as ddtrace's)."""
    route = "/seen/{n:int}" if framework == "starlette" else "/seen/{n}"
    assert client.get("/seen/5").text == f"GET {route}"


def test_mounted_app_is_a_nested_request_span(client, framework, spans):
    assert client.get("/api/items/k1").status_code == 200
    outer = request_span(spans, framework, 2)
    (inner,) = [s for s in spans.named(f"{framework}.request") if s.parent_id == outer.span_id]
    assert_span(outer, resource="GET /api/items/{sku}", meta={"http.route": "/api/items/{sku}"})
    assert_span(inner, resource="GET /items/{sku}", absent=["http.route"], meta={"http.status_code": "200"})
    assert inner.trace_id == outer.trace_id


def test_mounted_router_and_included_router_join_their_routes(client, framework, spans):
    path, route = ("/shop/items/kettle", "/shop/items/{name}")
    if framework == "fastapi":
        path, route = ("/users/7", "/users/{uid}")
    assert client.get(path).status_code == 200
    assert_span(request_span(spans, framework), resource=f"GET {route}", meta={"http.route": route})


def test_a_middleware_answering_first_still_names_the_route(client, framework, spans):
    """A CORS preflight is answered by the middleware before any router step: the route is resolved at the end
    (a mount's inner route with its prefix)."""
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}
    assert client.options("/api/items/k9", headers=preflight).status_code == 200
    span = request_span(spans, framework)
    assert_span(span, resource="OPTIONS /api/items/{sku}", meta={"http.route": "/api/items/{sku}"})


def test_not_found_keeps_the_path(client, framework, spans):
    assert client.get("/nowhere").status_code == 404
    span = request_span(spans, framework)
    assert_span(span, resource="GET /nowhere", error=0, meta={"http.status_code": "404"}, absent=["http.route"])


def test_exception_is_a_500_with_the_error(client, framework, spans):
    assert client.get("/boom").status_code == 500
    span = request_span(spans, framework)
    assert_span(
        span,
        resource="GET /boom",
        error=1,
        meta={"http.status_code": "500", "error.type": "asgi_apps.Teapot", "error.message": "no tea"},
    )
    assert "Teapot" in span.get_tag("error.stack")


@pytest.mark.parametrize(("path", "status", "error"), [("/forbidden", 403, 0), ("/unavailable", 503, 1)])
def test_http_exception_is_its_status(client, framework, spans, path, status, error):
    assert client.get(path).status_code == status
    span = request_span(spans, framework)
    assert_span(span, resource=f"GET {path}", error=error, meta={"http.status_code": str(status)})
    assert span.get_tag("error.type") is None


def test_streamed_body_ends_the_span_after_its_last_chunk(served, framework, spans):
    started = time.monotonic()
    with httpx.stream("GET", f"{served}/stream") as response:
        chunks = list(response.iter_text())
    elapsed = time.monotonic() - started
    assert "".join(chunks) == "chunk 0\nchunk 1\nchunk 2\n"
    span = request_span(spans, framework)
    assert 0.05 <= span.duration <= elapsed + 0.01  # three chunks 20 ms apart, all inside the span


def test_a_client_leaving_an_endless_stream_ends_the_span(served, framework, spans):
    with httpx.stream("GET", f"{served}/endless") as response:
        assert next(response.iter_text()).startswith("more")
    # the server notices the closed connection; the application's stream stops and the span ends
    span = request_span(spans, framework)
    assert_span(span, resource="GET /endless", meta={"http.status_code": "200"})


def test_background_tasks_are_traces_of_their_own_linked_to_the_request(client, framework, spans):
    asgi_apps.DONE.clear()
    assert client.get("/background").text == "queued"
    assert sorted(asgi_apps.DONE) == [f"async {framework}", f"sync {framework}"]
    request = request_span(spans, framework)
    tasks = wait_for_spans(spans, f"{framework}.background_task", 2)
    assert sorted(t.resource for t in tasks) == ["_async_task", "_sync_task"]
    for task in tasks:
        assert task.parent_id is None and task.trace_id != request.trace_id
        assert [link.span_id for link in task._get_links()] == [request.span_id]
        assert task.get_tag("component") is None


def test_fastapi_serialize_response_is_a_child_of_the_request(spans):
    from starlette.testclient import TestClient

    assert TestClient(asgi_apps.create_fastapi()).get("/users/3").json() == {"id": 3}
    request = request_span(spans, "fastapi")
    serialize = spans.one("fastapi.serialize_response")
    assert serialize.parent_id == request.span_id
    assert_span(serialize, resource="fastapi.serialize_response", service="fastapi", absent=["component"])


def test_under_uvicorn_the_caller_context_is_continued(served, framework, spans):
    headers = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"}
    response = httpx.get(f"{served}/echo/abc", headers=headers)
    assert response.text == "abc"
    span = spans.wait_for(f"{framework}.request")
    assert (span.trace_id, span.parent_id) == (1234, 5678)
    assert_span(span, resource="GET /echo/{mark}", meta={"http.url": f"{served}/echo/abc", "http.version": "1.1"})
    assert span.get_tag("network.client.ip") is None


def test_a_cancelled_request_ends_its_span_with_the_cancellation(framework, spans):
    """The server cancels the application's task: the span ends, marked by the CancelledError (as ddtrace's)."""
    app = create(framework)
    scope = {"type": "http", "method": "GET", "path": "/endless", "raw_path": b"/endless", "query_string": b""}
    scope.update(headers=[(b"host", b"t")], scheme="http", server=("t", 80))

    async def receive() -> Any:
        await asyncio.sleep(60)

    async def send(message: Any) -> None:
        pass

    async def cancelled() -> None:
        task = asyncio.ensure_future(app(scope, receive, send))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled())
    span = request_span(spans, framework)
    assert_span(span, resource="GET /endless", error=1, meta={"error.type": "asyncio.exceptions.CancelledError"})


@pytest.mark.parametrize("path", ["/items/3", "/api/items/k", "/background", "/nowhere", "/boom"])
def test_with_the_plugins_shut_down_the_wrappers_only_call_through(framework, spans, path):
    app = create(framework)
    plugins = [f"ddtrace_integrations.tracing_plugins.contrib.{name}" for name in ("starlette", "fastapi")]
    for name in plugins:
        tracing_plugins.shutdown(name)
    try:
        # an app (and a mounted one) builds its middleware stack once, on its first request
        outcome(lambda: asyncio.run(asgi_call(app, "GET", path, b"", [])))
        answers = []
        call = asgi_call(app, "GET", path, b"", [(b"host", b"t")])
        ran, nested = disabled_path_calls(lambda: answers.append(outcome(lambda: asyncio.run(call))))
    finally:
        for name in plugins:
            tracing_plugins.initialize(name)
    assert answers[0][0] == ("raised" if path == "/boom" else "returned")
    assert ran >= 1  # the request wrapper (and the route steps) went through v2's wrappers
    assert nested == []
    assert spans.spans == []


def test_unpatched_apps_make_no_spans(framework, spans):
    from starlette.testclient import TestClient

    import ddtrace_integrations

    ddtrace_integrations.unpatch(starlette=True, fastapi=True)
    try:
        client = TestClient(create(framework), raise_server_exceptions=False)
        assert client.get("/items/1").status_code == 200
        assert client.get("/boom").status_code == 500
    finally:
        ddtrace_integrations.patch(starlette=True, fastapi=True)
    assert spans.spans == []


def test_the_applications_middleware_list_is_left_as_given():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware

    given = [Middleware(CORSMiddleware, allow_origins=["*"])]
    app = Starlette(middleware=given)
    assert len(given) == 1
    assert len(app.user_middleware) == 2  # ours first, in the application's copy (as ddtrace's)
    positional = Starlette(False, [], given)  # debug, routes, middleware
    assert len(given) == 1 and len(positional.user_middleware) == 2


BOTH_APPS = (
    SPAN_COUNTER
    + """
import sys
sys.path.insert(0, {here!r})
import asgi_apps
from starlette.testclient import TestClient
for app in (asgi_apps.create_starlette(), asgi_apps.create_fastapi()):
    TestClient(app).get("/items/3")
print("spans", spans_named("starlette.request"), spans_named("fastapi.request"))
"""
)


@pytest.mark.parametrize(
    ("env", "counts"),
    [
        ({}, "1 1"),
        ({"DD_TRACE_STARLETTE_ENABLED": "false"}, "0 1"),
        ({"DD_TRACE_FASTAPI_ENABLED": "false"}, "1 0"),
    ],
)
def test_run_honours_dd_trace_starlette_and_fastapi_enabled(env, counts):
    code = BOTH_APPS.format(here=str(Path(__file__).parent))
    out = run_python(code, {"PYTHONWARNINGS": "ignore", **env}, prefix=(bin_path("ddtrace-integrations"), "run"))
    assert f"spans {counts}" in out, out


def create_websockets(framework: str) -> Any:
    if framework == "starlette":
        return asgi_apps.create_starlette_websockets()
    return asgi_apps.create_fastapi_websockets()


def websocket_session(app: Any) -> List[Any]:
    """What a client of ``app`` sees over the test client: echoes, a server's close (code and reason), an
    endpoint's exception, a refused handshake, a client leaving mid-conversation."""
    from starlette.testclient import TestClient

    client, seen = TestClient(app), []
    with client.websocket_connect("/ws/echo/a") as ws:
        ws.send_text("tea")
        ws.send_bytes(b"\x00")
        seen += [ws.receive_text(), ws.receive_bytes()]
    with client.websocket_connect("/ws/bye") as ws:
        ws.send_text("ann")
        seen += [ws.receive_text(), outcome(ws.receive_text)]

    def spill() -> Any:
        with client.websocket_connect("/ws/spill") as ws:
            ws.send_text("x")
            return ws.receive_text()

    def refuse() -> Any:
        with client.websocket_connect("/ws/refuse"):
            return "accepted"

    seen += [outcome(spill), outcome(refuse)]
    with client.websocket_connect("/ws/echo/b") as ws:
        ws.send_text("leaving")
    return [repr(x) for x in seen]


def test_websocket_behaviour_is_unchanged(framework, spans):
    """Messages, close codes and reasons, the endpoint's exception and a refused handshake, as untraced."""
    import starlette.testclient  # noqa: F401  (imported first: a module imported while off would turn them on)

    app = create_websockets(framework)
    with plugins_off(framework):
        untraced = websocket_session(app)
    assert spans.spans == []
    traced = websocket_session(create_websockets(framework))
    assert traced == untraced
    assert len(spans.named(f"{framework}.request")) == 5  # every handshake
    assert spans.named("websocket.send") and spans.named("websocket.close")


def test_websocket_message_spans_link_to_the_handshake_as_span_pointers(framework, spans):
    """Under uvicorn, a handshake continuing a caller's trace: each message received and sent links to it
    with ddtrace's span pointer, numbered per direction; the messages are traces of their own that take the
    handshake's sampling decision."""
    from websockets.sync.client import connect

    caller = {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "2"}
    with uvicorn_serving(create_websockets(framework)) as url:
        with connect(url.replace("http", "ws") + "/ws/echo/r", additional_headers=caller) as ws:
            for text in ("one", "two"):
                ws.send(text)
                assert ws.recv() == "echo " + text
        wait_for_spans(spans, "websocket.close", 1)
    handshake = spans.one(f"{framework}.request")
    assert (handshake.trace_id, handshake.parent_id, handshake.resource) == (1234, 5678, "websocket /ws/echo/r")
    assert_span(handshake, meta={"http.upgraded": "websocket", "span.kind": "server"})
    assert handshake.get_tag("http.method") is None
    ids = f"{handshake.trace_id:032x}{handshake.span_id:016x}"
    received = [s for s in spans.named("websocket.receive") if s.get_tag("span.kind") == "consumer"]
    assert [s.get_metric("websocket.message.length") for s in received] == [3, 3]
    for n, span in enumerate(received, 1):
        assert span.parent_id is None and span.trace_id != handshake.trace_id
        assert span.context.sampling_priority == 2 and span.get_metric("_dd.dm.inherited") == 1
        (link,) = span._get_links()
        assert (link.trace_id, link.span_id) == (handshake.trace_id, handshake.span_id)
        assert link.attributes["dd.kind"] == "span-pointer" and link.attributes["ptr.hash"] == f"C{ids}{n:08x}"
    sent = spans.named("websocket.send")
    assert [s.parent_id for s in sent] == [s.span_id for s in received]  # answering the message received
    assert [s._get_links()[0].attributes["ptr.hash"] for s in sent] == [f"S{ids}{n:08x}" for n in (1, 2)]
    (close,) = spans.named("websocket.close")
    assert_span(close, meta={"span.kind": "consumer"}, metrics={"websocket.close.code": 1000})


def test_websockets_untraced_when_messages_are_off(spans):
    """``DD_TRACE_WEBSOCKET_MESSAGES_ENABLED=false`` leaves a connection untraced, handshake included."""
    code = """
import sys
sys.path.insert(0, {here!r})
import asgi_apps
from starlette.testclient import TestClient
with TestClient(asgi_apps.create_starlette_websockets()).websocket_connect("/ws/echo/a") as ws:
    ws.send_text("tea")
    print(ws.receive_text())
print("spans", spans_named("starlette.request"), spans_named("websocket.receive"), spans_named("http.request"))
"""
    code = SPAN_COUNTER + code.format(here=str(Path(__file__).parent))
    env = {"PYTHONWARNINGS": "ignore", "DD_TRACE_WEBSOCKET_MESSAGES_ENABLED": "false"}
    out = run_python(code, env, prefix=(bin_path("ddtrace-integrations"), "run"))
    assert "echo tea\nspans 0 0 1" in out, out
