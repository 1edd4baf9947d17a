"""A real loopback HTTP server for the HTTP client tests and workloads (no mocks, no mock transports).

Routes: /status/<code>, /headers (the request headers as JSON), /redirect (302 to /status/200),
/digest (HTTP digest auth: 401 with a challenge until an Authorization header comes), /slow (2 s),
/stream (a chunked body of ten lines), /hang (sets ``HANG.arrived``, then answers only once ``HANG.release`` is
set: a request known to be in flight, for cancellation tests), /endless (a chunked body that never ends while
the client reads).

``serving_in_child()``: for load tests, an aiohttp server in a child process (no tracer in it, and none of the
test process's CPU) that answers every GET with 200 and the request's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from typing import Iterator
from typing import Tuple


class Hang:
    """The /hang route's two events: a request arrived; the requests waiting may now be answered."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def reset(self) -> None:
        self.arrived.clear()
        self.release.clear()


HANG = Hang()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"ok", headers: Tuple[Tuple[str, str], ...] = ()) -> None:
        if status in (204, 304):
            body = b""  # these responses never carry a body
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", "loopback")
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        # A request's body is read before the answer: a socket closed with unread bytes is reset, which can drop
        # the answer before the client reads it (seen under load, with "Connection: close").
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        if path.startswith("/status/"):
            self._reply(int(path.rsplit("/", 1)[1]))
        elif path == "/headers":
            seen: dict = {}
            for key, value in self.headers.items():  # repeated headers are joined, as a proxy would
                seen[key.lower()] = f"{seen[key.lower()]}, {value}" if key.lower() in seen else value
            self._reply(200, json.dumps(seen).encode(), (("Content-Type", "application/json"),))
        elif path == "/redirect":
            self._reply(302, b"", (("Location", "/status/200"),))
        elif path == "/digest":
            if self.headers.get("Authorization"):
                self._reply(200)
            else:
                challenge = 'Digest realm="ddi", nonce="abc123", qop="auth", algorithm=MD5'
                self._reply(401, b"", (("WWW-Authenticate", challenge),))
        elif path == "/slow":
            time.sleep(2)
            self._reply(200)
        elif path == "/hang":
            HANG.arrived.set()
            HANG.release.wait(60)
            with contextlib.suppress(OSError):  # the client may have given up (what the cancellation tests do)
                self._reply(200)
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            line = b"line\n" * 100
            with contextlib.suppress(OSError):
                while True:  # until the client goes away
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
        elif path == "/stream":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(10):
                line = f"line {i}\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._reply(404, b"not found")

    do_POST = do_GET


def serve(port: int = 0) -> Tuple[ThreadingHTTPServer, str]:
    """Start the server on 127.0.0.1 (a free port unless given); returns it and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def free_port() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()
    return port


@contextmanager
def uvicorn_serving(application: Any) -> Iterator[str]:
    """An ASGI application behind a real uvicorn server in a thread; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(application, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


def _serve_in_child() -> None:
    from aiohttp import web

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.path)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", echo)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


@contextmanager
def serving_in_child() -> Iterator[str]:
    """The echoing server in a child process; yields its base URL."""
    child = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
    try:
        port = child.stdout.readline().strip() if child.stdout else ""
        assert port.isdigit(), f"the loopback server did not start (exit code {child.poll()})"
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    _serve_in_child()
