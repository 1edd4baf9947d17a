"""Django under load: wsgiref's server with a thread per request (``ThreadingMixIn``), and uvicorn serving the
ASGI application (sync middleware and views in asgiref's threads), 64 untraced clients at once, each request to
its own path. Each request makes one trace of exactly the spans a lone request makes,
with its own path and nothing of another request's."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from typing import Iterator
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import WSGIServer
from wsgiref.simple_server import make_server

import pytest
from helpers import assert_concurrent_requests
from helpers import http_get
from http_server import uvicorn_serving

THREADS, CALLS_PER_THREAD = 64, 10


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(params=["wsgi", "asgi"])
def served(django_app, request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "asgi":
        from django.core.asgi import get_asgi_application

        with uvicorn_serving(get_asgi_application()) as url:
            yield url
        return
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", 0, get_wsgi_application(), _ThreadingServer, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_64_concurrent_clients_each_get_a_trace_of_their_own_request(served, spans):
    assert_concurrent_requests(
        spans,
        "django.request",
        lambda mark: http_get(f"{served}/items/{mark}"),
        lambda mark: b'{"item": "%s"}' % mark.encode(),
        {"django.request", "django.view", "django.middleware"},
        THREADS,
        CALLS_PER_THREAD,
    )
