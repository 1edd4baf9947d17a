"""The Django server workload: the djapp project served by a real server in this process, hit once per step
with http.client, run under ddtrace and under v2. DDI_DJANGO_SERVER picks the server: wsgi (wsgiref, the
default), asgi (uvicorn), daphne, or channels-uvicorn / channels-daphne (the djapp.routing channels
application, whose plain ASGI app at /plain gets one more step).

Each request is a trace of its own (the server spans are roots), so no workload.step spans here; every step
uses a distinct route so that the traces line up by their root resource.
"""

import asyncio
import http.client
import os
import threading
import warnings
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import WSGIServer
from wsgiref.simple_server import make_server

import steps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djapp.settings")

PORT = int(os.environ["DDI_HTTP_PORT"])
SERVER = os.environ.get("DDI_DJANGO_SERVER", "wsgi")
CHANNELS = SERVER.startswith("channels-")
# ASGI serves the (deliberately synchronous) stream step's iterator through a thread and says so.
warnings.filterwarnings("ignore", "StreamingHttpResponse must consume synchronous iterators")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def start_wsgi():
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", PORT, get_wsgi_application(), _ThreadingWSGIServer, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return stop


def asgi_application():
    from django.core.asgi import get_asgi_application

    if not CHANNELS:
        return get_asgi_application()
    # Django is imported before channels.routing: the other way round, ddtrace's Django patch fails half-way.
    from djapp.routing import application

    return application


def start_uvicorn():
    import uvicorn

    config = uvicorn.Config(asgi_application(), host="127.0.0.1", port=PORT, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        thread.join(0.02)

    def stop():
        server.should_exit = True
        thread.join(10)

    return stop


def start_daphne():
    from daphne.server import Server  # first: it installs Twisted's asyncio reactor
    from twisted.internet import reactor

    listening = threading.Event()  # set once the port is bound; requests then wait for the reactor
    endpoint = f"tcp:port={PORT}:interface=127.0.0.1"
    server = Server(asgi_application(), [endpoint], signal_handlers=False, verbosity=0, ready_callable=listening.set)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not listening.wait(0.02):
        if not thread.is_alive():
            raise RuntimeError("daphne did not start")

    def stop():
        reactor.callFromThread(reactor.stop)
        thread.join(10)

    return stop


def request(name, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        print(f"{name}: {response.status}")
    finally:
        conn.close()


def leave(name, path):
    """A client that leaves while the view waits (ASGI only: Django then cancels the view)."""
    from djapp.views import hang_started

    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        conn.request("GET", path)
        if not hang_started.wait(30):
            raise RuntimeError("the view did not start")
        print(f"{name}: left")
    finally:
        conn.close()


STEPS = [
    ("index", "GET", "/", None, None),
    ("user", "GET", "/users/7?page=2", None, {"X-User-Id": "7"}),
    ("cbv_get", "GET", "/items/apple", None, None),
    ("cbv_post", "POST", "/items/pear", b'{"n": 1}', {"Content-Type": "application/json"}),
    ("cbv_not_allowed", "DELETE", "/items/plum", None, None),
    ("template_response", "GET", "/template", None, None),
    ("render", "GET", "/render", None, None),
    ("template_view", "GET", "/about", None, None),
    ("async_view", "GET", "/async", None, None),
    ("namespaced_regex", "GET", "/api/v2/ping", None, None),
    ("not_found", "GET", "/nowhere", None, None),
    ("server_error", "GET", "/boom", None, None),
    ("stream", "GET", "/stream", None, None),
    (
        "distributed",
        "GET",
        "/headers",
        None,
        {"x-datadog-trace-id": "1234", "x-datadog-parent-id": "5678", "x-datadog-sampling-priority": "1"},
    ),
    ("inferred_proxy", "GET", "/proxied", None, steps.through_gateway("/proxied", "/proxied")),
    ("cache_counts", "GET", "/cache", None, None),
]


if CHANNELS:
    STEPS.append(("plain_asgi", "GET", "/plain", None, None))


def main():
    start = {"wsgi": start_wsgi, "asgi": start_uvicorn, "daphne": start_daphne}
    start.update({"channels-uvicorn": start_uvicorn, "channels-daphne": start_daphne})
    stop = start[SERVER]()
    try:
        for step in STEPS:
            request(*step)
        if SERVER == "asgi":  # uvicorn: the client's leaving cancels the view
            leave("client_disconnect", "/hang")
    finally:
        stop()


main()
