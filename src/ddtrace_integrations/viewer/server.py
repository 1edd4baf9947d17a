"""The local receiver: an HTTP server the tracer sends to instead of an agent.

It answers like an agent (``/info``, traces with a ``rate_by_service`` body, 200 or 404 for the rest), or,
given the URL of a real agent, forwards every request to it unchanged (method, path, headers, body bytes)
and relays the agent's response; either way it keeps a decoded copy of each traces payload, assembles the
traces and shows each one when it has gone quiet.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import IO
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple
from urllib.parse import urlsplit

from ddtrace_integrations.viewer.render import Style
from ddtrace_integrations.viewer.render import render_trace
from ddtrace_integrations.viewer.render import trace_json
from ddtrace_integrations.viewer.traces import TRACE_ENDPOINTS
from ddtrace_integrations.viewer.traces import Assembler
from ddtrace_integrations.viewer.traces import decode_traces

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
DEFAULT_UNIX_SOCKET = "/var/run/datadog/apm.socket"
INFO = {
    "version": "ddtrace-integrations-view",
    # what this receiver takes (any POST is answered 200); not /v0.6/stats (the tracer would compute stats and
    # could drop traces it then never sends) nor /v0.7/config (remote configuration needs a real agent)
    "endpoints": [
        "/v0.4/traces",
        "/v0.5/traces",
        "/telemetry/proxy/",
        "/v0.1/pipeline_stats",
        "/evp_proxy/v2/",
        "/evp_proxy/v4/",
        "/profiling/v1/input",
        "/debugger/v1/input",
        "/debugger/v1/diagnostics",
        "/debugger/v2/input",
        "/symdb/v1/input",
    ],
    "client_drop_p0s": False,  # no client-side stats: the tracer sends every trace, and all are shown
    "span_meta_structs": True,
    "config": {"statsd_port": 0, "receiver_port": 0},
}
RATES = b'{"rate_by_service":{"service:,env:":1}}'
STREAMS_ENDPOINT = "/v0.1/pipeline_stats"  # Data Streams Monitoring payloads


def configured_agent_url(env: Mapping[str, str]) -> Optional[str]:
    """The agent URL the tracer would use, when one is configured (or its default Unix socket exists)."""
    url = env.get("DD_TRACE_AGENT_URL")
    if url:
        return url
    host = env.get("DD_AGENT_HOST") or env.get("DD_TRACE_AGENT_HOSTNAME")
    port = env.get("DD_TRACE_AGENT_PORT")
    if host or port:
        host = host or "localhost"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # IPv6
        return f"http://{host}:{port or 8126}"
    if os.path.exists(DEFAULT_UNIX_SOCKET):
        return f"unix://{DEFAULT_UNIX_SOCKET}"
    return None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._socket_path)
        self.sock = sock


class Upstream:
    """A real agent: where every request goes, unchanged."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.base_path = parts.path.rstrip("/") if parts.scheme in ("http", "https") else ""
        self.timeout = timeout
        if parts.scheme == "unix":
            self.socket_path = parts.path or parts.netloc
            self.host_header = "localhost"
        elif parts.scheme in ("http", "https"):
            self.host, self.port = parts.hostname or "localhost", parts.port
            self.host_header = parts.netloc.rsplit("@", 1)[-1]
        else:
            raise ValueError(f"unsupported agent URL {url!r} (http://, https:// or unix://)")

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "unix":
            return _UnixConnection(self.socket_path, self.timeout)
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def forward(
        self, method: str, target: str, headers: List[Tuple[str, str]], body: bytes, chunked: bool
    ) -> Tuple[int, str, List[Tuple[str, str]], bytes]:
        conn = self._connection()
        try:
            conn.putrequest(method, self.base_path + target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                lower = name.lower()
                if lower == "host":
                    value = self.host_header
                elif lower in HOP_BY_HOP or lower == "expect" or (chunked and lower == "content-length"):
                    continue
                conn.putheader(name, value)
            if chunked:  # the body was read whole: it goes on with its length
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body or method in ("POST", "PUT", "PATCH") else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()


class Display:
    """Where shown traces go: rendered text to a stream, and one JSON line per trace to a file."""

    def __init__(self, stream: Optional[IO[str]], json_path: Optional[str] = None, style: Optional[Style] = None):
        self.stream = stream
        self.style = style or (Style(**auto_style(stream)) if stream is not None else Style())
        self.json_file = open(json_path, "w", encoding="utf-8") if json_path else None  # noqa: SIM115
        self.lock = threading.Lock()

    def _write(self, text: str) -> None:
        if self.stream is not None:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # a closed pipe (| head): stop writing there, keep the rest going
                self.stream = None

    def message(self, text: str) -> None:
        with self.lock:
            self._write(text + "\n")

    def show(self, spans: List[Dict], shown_before: int) -> None:
        with self.lock:
            self._write(render_trace(spans, self.style, shown_before=shown_before))
            if self.json_file is not None:
                self.json_file.write(trace_json(spans, shown_before))
                self.json_file.flush()

    def close(self) -> None:
        if self.json_file is not None:
            self.json_file.close()
            self.json_file = None


def auto_style(stream: Optional[IO[str]]) -> Dict[str, bool]:
    """Colour on a terminal (unless NO_COLOR or TERM=dumb); ASCII when the stream cannot encode box drawing."""
    tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
    color = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    encoding = getattr(stream, "encoding", None) or "utf-8"  # an in-memory stream holds any text
    try:
        "\u2588\u2502\u2717\u00b5".encode(encoding)
        ascii_only = False
    except (UnicodeEncodeError, LookupError):
        ascii_only = True
    return {"color": color, "ascii": ascii_only}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _read_body(self) -> Tuple[bytes, bool]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: List[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts), True
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length else b""), False

    def _handle(self) -> None:
        viewer = self.server.viewer
        viewer.begin_request()
        try:
            body, chunked = self._read_body()
            path = urlsplit(self.path).path
            if self.command in ("PUT", "POST") and path.rstrip("/") in TRACE_ENDPOINTS:
                viewer.record(path, body)
            elif self.command in ("PUT", "POST") and path.rstrip("/") == STREAMS_ENDPOINT and viewer.keep_streams:
                viewer.streams.append(body)
            if viewer.upstream is not None:
                try:
                    status, reason, headers, data = viewer.upstream.forward(
                        self.command, self.path, list(self.headers.items()), body, chunked
                    )
                except OSError as exc:
                    status, reason, data = 502, "Bad Gateway", f"agent {viewer.upstream.url}: {exc}".encode()
                    headers = [("Content-Type", "text/plain")]
            else:
                status, reason, headers, data = viewer.answer(self.command, path)
            # the agent's own headers as they came (its Date and Server included); ours when answering as one
            relayed = viewer.upstream is not None and status != 502
            if relayed:
                self.send_response_only(status, reason)
            else:
                self.send_response(status, reason)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            if viewer.log_requests:
                digest = hashlib.sha256(body).hexdigest()[:16]
                viewer.display.message(f"view: {self.command} {self.path} {len(body)} B sha256:{digest} -> {status}")
        finally:
            viewer.end_request()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    viewer: Viewer


class Viewer:
    """The receiver, its trace assembly, and the thread that shows traces as they settle."""

    def __init__(
        self,
        display: Display,
        host: str = "127.0.0.1",
        port: int = 0,
        upstream: Optional[str] = None,
        settle: float = 1.0,
        keep_streams: bool = False,
    ) -> None:
        self.display = display
        self.keep_streams = keep_streams  # keep each Data Streams payload as it came, in ``streams``
        self.streams: List[bytes] = []
        self.upstream = Upstream(upstream) if upstream else None
        self.assembler = Assembler(settle=settle)
        self._server = _Server((host, port), _Handler)
        self._server.viewer = self
        self._in_flight = 0
        self._last_request = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self._decode_warned = False
        self._received: List[Tuple[str, bytes, float]] = []
        self.log_requests = os.environ.get("DDI_VIEW_LOG_REQUESTS", "") not in ("", "0", "false")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = str(host)
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def start(self) -> Viewer:
        for target, name in ((self._server.serve_forever, "server"), (self._show_loop, "display")):
            thread = threading.Thread(target=target, name=f"ddtrace-integrations-view-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def begin_request(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._last_request = time.monotonic()

    def end_request(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_request = time.monotonic()

    def record(self, path: str, body: bytes) -> None:
        """Keep a traces payload for the display thread to decode: the request is not held up by it."""
        with self._lock:
            self._received.append((path, body, time.monotonic()))

    def _decode_received(self) -> None:
        with self._lock:
            received, self._received = self._received, []
        for path, body, arrival in received:
            try:
                chunks = decode_traces(path, body)
            except Exception as exc:  # a payload we cannot read is still forwarded; say so once
                if not self._decode_warned:
                    self._decode_warned = True
                    self.display.message(f"ddtrace-integrations view: could not decode a {path} payload: {exc}")
                continue
            self.assembler.add(chunks, arrival)

    def answer(self, method: str, path: str) -> Tuple[int, str, List[Tuple[str, str]], bytes]:
        """What an agent would answer, when there is no agent."""
        json_type = [("Content-Type", "application/json")]
        path = path.rstrip("/") or "/"
        if path == "/info" and method in ("GET", "HEAD"):
            return 200, "OK", json_type, json.dumps(INFO).encode()
        if path in TRACE_ENDPOINTS and method in ("PUT", "POST"):
            return 200, "OK", json_type, RATES
        if method in ("PUT", "POST") and not path.startswith("/v0.7/config"):
            return 200, "OK", json_type, b"{}"  # telemetry, stats, pipeline stats, EVP proxy, ...
        return 404, "Not Found", [("Content-Type", "text/plain")], b"404 page not found"

    def _show_loop(self) -> None:
        while not self._stop.wait(0.1):
            self.show_ready()

    def show_ready(self, everything: bool = False) -> int:
        self._decode_received()
        shown = self.assembler.take(everything=everything)
        for trace in shown:
            self.display.show(trace.spans, trace.shown_before)
        return len(shown)

    def drain(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait for the requests under way (and until none came for ``quiet`` s), then show every trace."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = self._in_flight == 0 and time.monotonic() - self._last_request >= quiet
            if idle:
                break
            time.sleep(0.05)
        self._stop.set()
        for thread in self._threads[1:]:
            thread.join()
        self.show_ready(everything=True)

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self.display.close()


def stderr_display(json_path: Optional[str], show: bool) -> Display:
    return Display(sys.stderr if show else None, json_path)
