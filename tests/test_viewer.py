"""The trace viewer: ``run --show``, ``run --json``, ``view``; its msgpack decoder, trace assembly and rendering.

The end-to-end tests run real processes with the real tracer, sending to the viewer's receiver.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from typing import Dict
from typing import Iterator
from typing import List
from typing import Optional
from typing import Tuple

import pytest
from helpers import bin_path

from ddtrace_integrations.viewer import Display
from ddtrace_integrations.viewer import Viewer
from ddtrace_integrations.viewer import configured_agent_url
from ddtrace_integrations.viewer._msgpack import ExtType
from ddtrace_integrations.viewer._msgpack import MsgpackError
from ddtrace_integrations.viewer._msgpack import unpackb
from ddtrace_integrations.viewer.render import Style
from ddtrace_integrations.viewer.render import format_duration
from ddtrace_integrations.viewer.render import render_trace
from ddtrace_integrations.viewer.render import trace_json
from ddtrace_integrations.viewer.traces import Assembler
from ddtrace_integrations.viewer.traces import decode_traces
from ddtrace_integrations.viewer.traces import decode_v04
from ddtrace_integrations.viewer.traces import decode_v05
from ddtrace_integrations.viewer.traces import span_links

try:  # a test dependency (scripts/test); the service-free runs on other Pythons (scripts/test-pythons) lack it
    import msgpack
except ImportError:
    msgpack = None

CLI = bin_path("ddtrace-integrations")
AGENT_ENV = ("DD_TRACE_AGENT_URL", "DD_AGENT_HOST", "DD_TRACE_AGENT_HOSTNAME", "DD_TRACE_AGENT_PORT")


# --------------------------------------------------------------------------- msgpack decoder


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xc0", None),
        (b"\xc2", False),
        (b"\xc3", True),
        (b"\x00", 0),
        (b"\x7f", 127),
        (b"\xff", -1),
        (b"\xe0", -32),
        (b"\xcc\xff", 255),
        (b"\xcd\x01\x00", 256),
        (b"\xce\x00\x01\x00\x00", 65536),
        (b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 2**64 - 1),
        (b"\xd0\x80", -128),
        (b"\xd1\x80\x00", -32768),
        (b"\xd2\x80\x00\x00\x00", -(2**31)),
        (b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00", -(2**63)),
        (b"\xca\x3f\xc0\x00\x00", 1.5),
        (b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", 1.5),
        (b"\xa3abc", "abc"),
        (b"\xd9\x02\xc3\xa9", "\u00e9"),
        (b"\xda\x00\x01x", "x"),
        (b"\xdb\x00\x00\x00\x01y", "y"),
        (b"\xc4\x02\x00\xff", b"\x00\xff"),
        (b"\xc5\x00\x01z", b"z"),
        (b"\xc6\x00\x00\x00\x00", b""),
        (b"\x92\x01\xa1a", [1, "a"]),
        (b"\xdc\x00\x02\xc0\xc3", [None, True]),
        (b"\xdd\x00\x00\x00\x01\x05", [5]),
        (b"\x81\xa1k\x92\x01\x02", {"k": [1, 2]}),
        (b"\xde\x00\x01\x01\x02", {1: 2}),
        (b"\xdf\x00\x00\x00\x01\xa0\x80", {"": {}}),
        (b"\xd4\x05\x01", ExtType(5, b"\x01")),
        (b"\xd8\xff" + b"\x00" * 16, ExtType(-1, b"\x00" * 16)),
        (b"\xc7\x03\x07abc", ExtType(7, b"abc")),
    ],
)
def test_msgpack_decodes_every_type(data: bytes, expected: Any) -> None:
    assert unpackb(data) == expected
    assert type(unpackb(data)) is type(expected)


@pytest.mark.parametrize("data", [b"", b"\x92\x01", b"\xa3ab", b"\xcd\x01", b"\xc1", b"\x01\x02", b"\xdc\x00"])
def test_msgpack_rejects_truncated_invalid_or_trailing_bytes(data: bytes) -> None:
    with pytest.raises(MsgpackError):
        unpackb(data)


@pytest.mark.skipif(msgpack is None, reason="the msgpack library (a test dependency) is not installed")
def test_msgpack_agrees_with_the_msgpack_library_on_a_large_mixed_document() -> None:
    document = {
        "ints": [0, 1, -1, 127, 128, 255, 256, 65535, 65536, 2**32, 2**63, -33, -129, -32769, -(2**31) - 1],
        "floats": [0.0, -2.5, 1e300],
        "text": ["", "x" * 31, "y" * 32, "z" * 300, "\u2603" * 30000],
        "bytes": [b"", b"\x00" * 300, b"\x01" * 70000],
        "nested": [{"a": [{"b": None}]}, [[[]]], {str(i): i for i in range(20)}],
        "long": list(range(70000)),
    }
    assert unpackb(msgpack.packb(document, use_bin_type=True)) == document


def _ddtrace_spans() -> List[Any]:
    from ddtrace.trace import Span

    root = Span("web.request", service="shop", resource="GET /orders", span_type="web")
    root.set_tag("span.kind", "server")
    root.set_tag("http.status_code", "200")
    root.set_metric("process_id", 42)
    child = Span("postgres.query", service="shop-db", resource="select 1", trace_id=root.trace_id)
    child.parent_id = root.span_id
    child.set_tag("db.system", "postgresql")
    child.error = 1
    child.set_tag("error.message", "boom \u2603")
    child.finish()
    root.finish()
    return [root, child]


@pytest.mark.parametrize("version", ["v0.4", "v0.5"])
def test_decodes_what_ddtraces_own_encoder_sends(version: str) -> None:
    from ddtrace.internal._encoding import MsgpackEncoderV04
    from ddtrace.internal._encoding import MsgpackEncoderV05

    spans = _ddtrace_spans()
    encoder = (MsgpackEncoderV04 if version == "v0.4" else MsgpackEncoderV05)(1 << 20, 1 << 20)
    encoder.put(spans)
    encoder.put(spans[:1])
    [(payload, count)] = encoder.encode()
    assert count == 2 and payload is not None

    chunks = decode_traces(f"/{version}/traces", payload)
    assert [len(chunk) for chunk in chunks] == [2, 1]
    for span, decoded in zip(spans, chunks[0]):
        assert decoded["trace_id"] == span._trace_id_64bits
        assert decoded["span_id"] == span.span_id
        assert decoded["parent_id"] == (span.parent_id or 0)
        assert (decoded["service"], decoded["name"], decoded["resource"]) == (span.service, span.name, span.resource)
        assert (decoded["start"], decoded["duration"], decoded["error"]) == (
            span.start_ns,
            span.duration_ns,
            span.error,
        )
        assert decoded["type"] == (span.span_type or "")
        assert decoded["meta"] == {k: v for k, v in span.get_tags().items()}
        assert decoded["metrics"] == span.get_metrics()
    assert chunks[0][1]["meta"]["error.message"] == "boom \u2603"
    if msgpack is not None and version == "v0.4":  # as the msgpack library reads it (absent fields: defaults)
        defaults = {"parent_id": 0, "error": 0, "type": "", "meta": {}, "metrics": {}}
        reference = msgpack.unpackb(payload, raw=False, strict_map_key=False)
        assert decode_v04(payload) == [[{**defaults, **span} for span in chunk] for chunk in reference]
    elif version == "v0.5":
        strings, _ = unpackb(payload)
        assert "web.request" in strings
        assert decode_v05(payload)[0][0]["name"] == "web.request"


@pytest.mark.parametrize("version", ["v0.4", "v0.5"])
def test_span_links_are_read_as_each_encoder_sends_them_and_shown(version: str) -> None:
    """v0.4 carries links in a field of their own, v0.5 as JSON in a tag: both name the linked span."""
    from ddtrace.internal._encoding import MsgpackEncoderV04
    from ddtrace.internal._encoding import MsgpackEncoderV05
    from ddtrace.trace import Span

    producers = [Span("kafka.produce", service="shop"), Span("kafka.produce", service="shop")]
    consumer = Span("kafka.consume", service="worker")
    for producer in producers:
        consumer.link_span(producer.context)
        producer.finish()
    consumer.finish()
    encoder = (MsgpackEncoderV04 if version == "v0.4" else MsgpackEncoderV05)(1 << 20, 1 << 20)
    encoder.put([consumer])
    [(payload, _)] = encoder.encode()
    [[decoded]] = decode_traces(f"/{version}/traces", payload)

    expected = [(p.trace_id, p.span_id) for p in producers]
    assert span_links(decoded) == expected
    assert all(p.trace_id >= 1 << 64 for p in producers)  # the high bits of a 128-bit id are kept
    line = render_trace([decoded], Style(ascii=True)).splitlines()[1]
    assert [f"link={t:032x}/{s}" for t, s in expected] == re.findall(r"link=\S+", line)


def test_span_links_that_cannot_be_read_are_left_out() -> None:
    spans = [
        span(1, meta={"_dd.span_links": "not json"}),
        span(2, meta={"_dd.span_links": '[{"trace_id": "zz", "span_id": "1"}, {"span_id": "2"}, 3]'}),
        dict(span(3), span_links=[{"trace_id": 5}, "x", {"trace_id": 5, "span_id": 6}]),
    ]
    assert [span_links(s) for s in spans] == [[], [], [(5, 6)]]


# --------------------------------------------------------------------------- assembly


def span(
    span_id: int,
    parent_id: int = 0,
    name: str = "op",
    start: int = 0,
    duration: int = 1000,
    trace_id: int = 7,
    service: str = "svc",
    resource: Optional[str] = None,
    error: int = 0,
    meta: Optional[Dict[str, str]] = None,
    metrics: Optional[Dict[str, float]] = None,
) -> Dict[str, Any]:
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_id": parent_id,
        "service": service,
        "name": name,
        "resource": name if resource is None else resource,
        "type": "",
        "start": start,
        "duration": duration,
        "error": error,
        "meta": meta or {},
        "metrics": metrics or {},
    }


def test_a_trace_is_assembled_from_chunks_of_several_processes_and_shown_once_quiet() -> None:
    assembler = Assembler(settle=1.0, orphan_wait=5.0)
    # the child process's chunk first: its root's parent lives in another process, not received yet
    assembler.add([[span(3, parent_id=1, name="child.work", metrics={"process_id": 200}), span(4, parent_id=3)]], 0.0)
    assembler.add([[span(9, trace_id=8)]], 0.0)  # another trace, complete
    assert [[s["span_id"] for s in t.spans] for t in assembler.take(now=0.5)] == []
    assert [[s["span_id"] for s in t.spans] for t in assembler.take(now=1.0)] == [[9]]
    assert assembler.take(now=4.0) == []  # the orphan waits for its parent
    assembler.add([[span(1, metrics={"process_id": 100}), span(2, parent_id=1)]], 4.0)
    assert assembler.take(now=4.9) == []  # quiet for 0.9 s only
    [shown] = assembler.take(now=5.0)
    assert sorted(s["span_id"] for s in shown.spans) == [1, 2, 3, 4]
    assert shown.shown_before == 0
    assert assembler.pending() == 0
    # a late chunk: the trace is shown again, saying how much was shown before
    assembler.add([[span(5, parent_id=2), span(2, parent_id=1)]], 6.0)  # span 2 again: counted once
    [again] = assembler.take(now=7.0)
    assert (len(again.spans), again.shown_before) == (5, 4)


def test_a_trace_without_its_root_is_shown_after_the_orphan_wait_and_everything_on_flush() -> None:
    assembler = Assembler(settle=1.0, orphan_wait=3.0)
    assembler.add([[span(3, parent_id=1)]], 0.0)
    assert assembler.take(now=2.9) == []
    assert len(assembler.take(now=3.0)) == 1
    assembler.add([[span(1, trace_id=99)]], 10.0)
    assert len(assembler.take(now=10.1, everything=True)) == 1
    assert assembler.take(now=100.0, everything=True) == []


# --------------------------------------------------------------------------- rendering

MS = 1_000_000


def shop_trace() -> List[Dict[str, Any]]:
    return [
        span(
            1,
            name="web.request",
            service="shop",
            resource="GET /orders",
            duration=10 * MS,
            trace_id=42,
            meta={"span.kind": "server", "http.status_code": "200", "_dd.p.tid": "1", "language": "python"},
            metrics={"process_id": 100, "_dd.top_level": 1},
        ),
        span(
            2,
            1,
            "postgres.query",
            start=1 * MS,
            duration=2 * MS,
            trace_id=42,
            service="shop-db",
            resource="select  *\n from orders",
            meta={"db.system": "postgresql", "span.kind": "client"},
        ),
        span(
            3,
            1,
            "render",
            start=4 * MS,
            duration=5 * MS,
            trace_id=42,
            service="shop",
            error=1,
            meta={"error.type": "builtins.ValueError", "error.message": "template missing"},
        ),
        span(4, 3, "cache.get", start=5 * MS, duration=500_000, trace_id=42, service="shop"),
    ]


def test_render_a_tree_with_waterfall_bars_error_marks_and_key_tags() -> None:
    assert render_trace(shop_trace(), Style(), width=20) == (
        "trace 0000000000000001000000000000002a  4 spans, 1 error, 10.00 ms\n"
        " 10.00 ms |\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588"
        '\u2588\u2588\u2588\u2588| web.request  service=shop resource="GET /orders" span.kind=server '
        "http.status_code=200\n"
        "  2.00 ms |  \u2588\u2588\u2588\u2588              | \u251c\u2500 postgres.query  service=shop-db "
        'resource="select * from orders" span.kind=client db.system=postgresql\n'
        "  5.00 ms |        \u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588  "
        "| \u2514\u2500 \u2717 render  "
        'error.type=builtins.ValueError error.message="template missing"\n'
        "   500 \u00b5s |          \u2588         |    \u2514\u2500 cache.get\n"
    )


def test_render_ascii_with_processes_and_a_span_whose_parent_never_arrived() -> None:
    spans = [
        span(1, name="job", duration=8 * MS, metrics={"process_id": 100}),
        span(2, 1, "spawn", start=1 * MS, duration=7 * MS),
        span(3, 2, "worker", start=2 * MS, duration=4 * MS, metrics={"process_id": 200}),
        span(4, 3, "step", start=3 * MS, duration=1 * MS),
        span(5, 3, "step", start=4 * MS, duration=1 * MS, error=1),
        span(6, 77, "late", start=7 * MS, duration=1 * MS, service="other"),
    ]
    assert render_trace(spans, Style(ascii=True), width=8) == textwrap.dedent(
        """\
        trace 00000000000000000000000000000007  6 spans, 1 error, 2 processes, 8.00 ms
          8.00 ms |########| job  service=svc pid=100
          7.00 ms | #######| `- spawn
          4.00 ms |  ####  |    `- worker  pid=200
          1.00 ms |   #    |       |- step
          1.00 ms |    #   |       `- X step
          1.00 ms |       #| late  service=other parent=77 (not received)
        """
    )


def test_render_stops_after_max_lines_spans_saying_how_many_more() -> None:
    spans = [span(1, 0, "s1", 0, 80), span(2, 1, "s2", 20, 60), span(3, 2, "s3", 40, 40), span(4, 3, "s4", 60, 20)]
    assert render_trace(spans, Style(ascii=True), width=4, max_lines=2) == (
        "trace 00000000000000000000000000000007  4 spans, 80 ns\n"
        "    80 ns |####| s1  service=svc\n"
        "    60 ns | ###| `- s2\n"
        "                 ... 2 more spans\n"
    )


def test_render_colours_errors_on_a_terminal_and_marks_an_update() -> None:
    text = render_trace(shop_trace(), Style(color=True), shown_before=3)
    assert "\x1b[31m\u2717 \x1b[0m" in text
    assert "(update: 1 more)" in text.splitlines()[0]
    assert [format_duration(ns) for ns in (999, 1000, 1_500_000, 1_500_000_000)] == [
        "999 ns",
        "1 \u00b5s",
        "1.50 ms",
        "1.500 s",
    ]


def test_trace_json_is_one_line_with_ids_parent_ids_tags_and_metrics() -> None:
    line = trace_json(shop_trace())
    assert line.endswith("\n") and line.count("\n") == 1
    obj = json.loads(line)
    assert obj["trace_id"] == "0000000000000001000000000000002a"
    assert [(s["span_id"], s["parent_id"]) for s in obj["spans"]] == [(1, 0), (2, 1), (3, 1), (4, 3)]
    assert obj["spans"][0]["meta"]["span.kind"] == "server"
    assert obj["spans"][0]["metrics"]["process_id"] == 100


def test_the_agent_url_the_tracer_would_use() -> None:
    assert configured_agent_url({"DD_TRACE_AGENT_URL": "unix:///tmp/a.sock", "DD_AGENT_HOST": "x"}) == (
        "unix:///tmp/a.sock"
    )
    assert configured_agent_url({"DD_AGENT_HOST": "agent"}) == "http://agent:8126"
    assert configured_agent_url({"DD_TRACE_AGENT_PORT": "9126"}) == "http://localhost:9126"
    assert configured_agent_url({"DD_AGENT_HOST": "::1", "DD_TRACE_AGENT_PORT": "1"}) == "http://[::1]:1"
    if not os.path.exists("/var/run/datadog/apm.socket"):
        assert configured_agent_url({}) is None


# --------------------------------------------------------------------------- the receiver, in process


class _UnixHTTPServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class Agent:
    """A stand-in for the real agent: records every request, bytes and all, and answers its own way."""

    def __init__(self, unix_path: Optional[str] = None) -> None:
        self.requests: List[Tuple[str, str, List[Tuple[str, str]], bytes]] = []
        agent = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def address_string(self) -> str:
                return "agent-client"

            def handle_one(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                agent.requests.append((self.command, self.path, list(self.headers.items()), body))
                reply = b'{"rate_by_service":{"service:shop,env:":0.25}}' if "traces" in self.path else b"{}"
                self.send_response(207 if "traces" in self.path else 200, "Real Agent")
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Real-Agent", "yes")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = handle_one

        self.server: socketserver.BaseServer
        if unix_path:
            self.server = _UnixHTTPServer(unix_path, Handler)
            self.url = f"unix://{unix_path}"
        else:
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def traces(self) -> List[bytes]:
        return [body for method, path, _, body in self.requests if path.endswith("/traces")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def agent() -> Iterator[Agent]:
    agent = Agent()
    yield agent
    agent.close()


class Lines:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _request(
    url: str, method: str, path: str, body: bytes = b"", headers: Optional[Dict[str, str]] = None
) -> Tuple[int, str, Dict[str, str], bytes]:
    host, port = url[len("http://") :].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(method, path, body=body if method != "GET" else None, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.reason, dict(resp.getheaders()), data


def _payload(version: str) -> bytes:
    from ddtrace.internal._encoding import MsgpackEncoderV04
    from ddtrace.internal._encoding import MsgpackEncoderV05

    encoder = (MsgpackEncoderV04 if version == "v0.4" else MsgpackEncoderV05)(1 << 20, 1 << 20)
    encoder.put(_ddtrace_spans())
    [(payload, _)] = encoder.encode()
    assert payload is not None
    return payload


def test_without_an_agent_the_receiver_answers_like_one_and_shows_the_trace() -> None:
    out = Lines()
    viewer = Viewer(Display(out), settle=0.1).start()
    try:
        status, _, headers, body = _request(viewer.url, "GET", "/info")
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert "/v0.5/traces" in json.loads(body)["endpoints"]
        status, _, _, body = _request(viewer.url, "PUT", "/v0.5/traces", _payload("v0.5"))
        assert (status, json.loads(body)) == (200, {"rate_by_service": {"service:,env:": 1}})
        assert _request(viewer.url, "POST", "/telemetry/proxy/api/v2/apmtelemetry", b"{}")[0] == 200
        assert _request(viewer.url, "POST", "/v0.1/pipeline_stats", b"\x00")[0] == 200
        assert _request(viewer.url, "POST", "/v0.7/config", b"{}")[0] == 404
        assert _request(viewer.url, "GET", "/nothing")[0] == 404
        deadline = time.monotonic() + 5
        while "postgres.query" not in out.text and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        viewer.drain(quiet=0)
        viewer.close()
    assert "web.request  service=shop" in out.text
    assert "\u2717 postgres.query" in out.text


@pytest.mark.parametrize("version", ["v0.4", "v0.5"])
def test_with_an_agent_every_request_is_forwarded_byte_for_byte_and_its_response_relayed(
    agent: Agent, version: str
) -> None:
    out = Lines()
    viewer = Viewer(Display(out), upstream=agent.url, settle=0.1).start()
    payload = _payload(version)
    headers = {
        "Content-Type": "application/msgpack",
        "Datadog-Meta-Lang": "python",
        "Datadog-Meta-Tracer-Version": "4.16.0",
        "X-Datadog-Trace-Count": "1",
        "X-Datadog-Test-Session-Token": "abc",
    }
    try:
        status, reason, resp_headers, body = _request(viewer.url, "PUT", f"/{version}/traces", payload, headers)
        assert _request(viewer.url, "GET", "/info")[0] == 200
        # a chunked body reaches the agent whole, with its length
        conn = http.client.HTTPConnection("127.0.0.1", int(viewer.url.rsplit(":", 1)[1]), timeout=10)
        conn.request("POST", "/v0.1/pipeline_stats", body=iter([b"ab", b"cd"]), encode_chunked=True)
        chunked = conn.getresponse()
        chunked.read()
        conn.close()
    finally:
        viewer.drain(quiet=0)
        viewer.close()
    assert (status, reason, body) == (207, "Real Agent", b'{"rate_by_service":{"service:shop,env:":0.25}}')
    assert resp_headers["X-Real-Agent"] == "yes"
    assert chunked.status == 200
    method, path, received_headers, received = agent.requests[0]
    assert (method, path, received) == ("PUT", f"/{version}/traces", payload)
    for name, value in headers.items():
        assert (name, value) in received_headers
    assert ("Content-Length", str(len(payload))) in received_headers
    assert [r[:2] for r in agent.requests[1:]] == [("GET", "/info"), ("POST", "/v0.1/pipeline_stats")]
    assert agent.requests[2][3] == b"abcd"
    assert "\u2717 postgres.query" in out.text  # and a decoded copy was shown


def test_an_agent_on_a_unix_socket_gets_the_requests_too(tmp_path: Any) -> None:
    agent = Agent(unix_path=str(tmp_path / "apm.socket"))
    viewer = Viewer(Display(None), upstream=agent.url, settle=0.1).start()
    payload = _payload("v0.4")
    try:
        status, _, _, body = _request(viewer.url, "PUT", "/v0.4/traces", payload, {"X-Datadog-Trace-Count": "1"})
    finally:
        viewer.drain(quiet=0)
        viewer.close()
        agent.close()
    assert (status, body) == (207, b'{"rate_by_service":{"service:shop,env:":0.25}}')
    [(method, path, headers, received)] = agent.requests
    assert (method, path, received) == ("PUT", "/v0.4/traces", payload)
    assert ("Host", "localhost") in headers


def test_view_says_why_when_its_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([CLI, "view", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "--agent" in proc.stderr


# --------------------------------------------------------------------------- end to end, real processes

APP = textwrap.dedent(
    """
    import os, sys, time
    from ddtrace.trace import tracer

    with tracer.trace("web.request", service="shop", resource="GET /orders", span_type="web") as root:
        root.set_tag("span.kind", "server")
        root.set_tag("http.status_code", "200")
        with tracer.trace("postgres.query", service="shop-db", resource="select * from orders") as query:
            query.set_tag("db.system", "postgresql")
            with tracer.trace("postgres.connect", service="shop-db"):
                pass
        try:
            with tracer.trace("render", resource="orders.html"):
                raise ValueError("template missing")
        except ValueError:
            pass
    time.sleep(float(os.environ.get("APP_SLEEP", "0")))  # a while for the tracer's periodic checks, or the display
    print("app done", flush=True)
    sys.exit(3)
    """
)


def _env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in AGENT_ENV and not k.startswith("_DD_TRACE_WRITER")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


SHOP_TREE = [
    r"^trace [0-9a-f]{32}  4 spans, 1 error, .+$",
    r'^ *[0-9.]+ (µs|ms|s) \|█+ *\| web\.request  service=shop resource="GET /orders" span\.kind=server '
    r"http\.status_code=200$",
    r'^ *[0-9.]+ (µs|ms|s) \| *█+ *\| ├─ postgres\.query  service=shop-db resource="select \* from orders" '
    r"db\.system=postgresql$",
    r"^ *[0-9.]+ (µs|ms|s) \| *█+ *\| │  └─ postgres\.connect$",
    r"^ *[0-9.]+ (µs|ms|s) \| *█+ *\| └─ ✗ render  resource=orders\.html "
    r'error\.type=builtins\.ValueError error\.message="template missing"$',
]


def _assert_tree(text: str, patterns: List[str]) -> None:
    lines = [line.rstrip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if re.match(patterns[0], line)), None)
    assert start is not None, text
    for pattern, line in zip(patterns, lines[start : start + len(patterns)]):
        assert re.match(pattern, line), f"{line!r} does not match {pattern!r} in\n{text}"


def test_run_show_prints_the_tree_and_exits_with_the_commands_code(tmp_path: Any) -> None:
    out = tmp_path / "traces.jsonl"
    proc = subprocess.run(
        [CLI, "run", "--show", "--json", str(out), "python", "-c", APP],
        env=_env(APP_SLEEP="2.5"),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == "app done\n"  # the command's own output stays its own: traces go to stderr
    assert "answering as one" in proc.stderr
    _assert_tree(proc.stderr, SHOP_TREE)
    # nothing else on stderr: the tracer, answered as by an agent, logged no error or warning
    others = [line for line in proc.stderr.splitlines()[1:] if not re.match(r"^(trace [0-9a-f]{32}| +[0-9.]+ )", line)]
    assert others == []
    [trace] = [json.loads(line) for line in out.read_text().splitlines()]
    by_name = {s["name"]: s for s in trace["spans"]}
    assert by_name["postgres.connect"]["parent_id"] == by_name["postgres.query"]["span_id"]
    assert by_name["render"]["error"] == 1
    assert int(trace["trace_id"], 16) & (2**64 - 1) == by_name["render"]["trace_id"]


PARENT = textwrap.dedent(
    """
    import json, os, subprocess, sys
    from ddtrace.propagation.http import HTTPPropagator
    from ddtrace.trace import tracer

    with tracer.trace("job.run", service="scheduler", resource="nightly") as span:
        headers = {}
        HTTPPropagator.inject(span.context, headers)
        env = dict(os.environ, JOB_CONTEXT=json.dumps(headers))
        subprocess.run([sys.executable, "-c", sys.argv[1]], env=env, check=True)
    """
)
CHILD = textwrap.dedent(
    """
    import json, os
    from ddtrace.propagation.http import HTTPPropagator
    from ddtrace.trace import tracer

    tracer.context_provider.activate(HTTPPropagator.extract(json.loads(os.environ["JOB_CONTEXT"])))
    with tracer.trace("worker.process", service="worker", resource="batch 1"):
        with tracer.trace("worker.step", service="worker"):
            pass
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port}")


def test_view_assembles_one_trace_across_two_processes(tmp_path: Any) -> None:
    port = _free_port()
    out = tmp_path / "traces.jsonl"
    view = subprocess.Popen(
        [CLI, "view", "--port", str(port), "--json", str(out)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        _wait_listening(port, view)
        app = subprocess.run(
            [CLI, "run", "python", "-c", PARENT, CHILD],
            env=_env(DD_TRACE_AGENT_URL=f"http://127.0.0.1:{port}"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert app.returncode == 0, app.stderr
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (out.exists() and "job.run" in out.read_text()):
            time.sleep(0.1)
    finally:
        view.send_signal(signal.SIGINT)
        stdout, stderr = view.communicate(timeout=30)
    assert view.returncode == 0, stderr
    traces = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(traces) == 1, stdout
    by_name = {s["name"]: s for s in traces[0]["spans"]}
    assert sorted(by_name) == ["job.run", "worker.process", "worker.step"]
    assert by_name["worker.process"]["parent_id"] == by_name["job.run"]["span_id"]
    assert by_name["worker.process"]["metrics"]["process_id"] != by_name["job.run"]["metrics"]["process_id"]
    _assert_tree(
        stdout,
        [
            r"^trace [0-9a-f]{32}  3 spans, 2 processes, .+$",
            r"^ *[0-9.]+ (µs|ms|s) \|█+ *\| job\.run  service=scheduler resource=nightly pid=\d+$",
            r'^ *[0-9.]+ (µs|ms|s) \| *█+ *\| └─ worker\.process  service=worker resource="batch 1" pid=\d+$',
            r"^ *[0-9.]+ (µs|ms|s) \| *█+ *\|    └─ worker\.step$",
        ],
    )


def test_run_show_with_an_agent_configured_forwards_the_tracers_bytes_unchanged(agent: Agent, tmp_path: Any) -> None:
    out = tmp_path / "traces.jsonl"
    proc = subprocess.run(
        [CLI, "run", "--show", "--json", str(out), "python", "-c", APP],
        env=_env(DD_TRACE_AGENT_URL=agent.url, DDI_VIEW_LOG_REQUESTS="1"),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert f"forwarding to the agent at {agent.url}" in proc.stderr
    _assert_tree(proc.stderr, SHOP_TREE)
    # the viewer logged a digest of every body it received: the agent received exactly those bytes
    logged = re.findall(r"^view: (\w+) (\S+) (\d+) B sha256:([0-9a-f]{16}) -> (\d+)$", proc.stderr, re.M)
    received = [(m, p, str(len(b)), hashlib.sha256(b).hexdigest()[:16]) for m, p, _, b in agent.requests]
    assert [entry[:4] for entry in logged] == received
    assert all(status == ("207" if path.endswith("/traces") else "200") for _, path, _, _, status in logged)
    [payload] = agent.traces()
    trace_headers = {k.lower(): v for k, v in next(h for m, p, h, b in agent.requests if p.endswith("/traces"))}
    import ddtrace

    assert trace_headers["datadog-meta-tracer-version"] == ddtrace.__version__
    assert trace_headers["x-datadog-trace-count"] == "1"
    assert trace_headers["content-type"] == "application/msgpack"
    # what the viewer wrote is what the agent got
    [shown] = [json.loads(line) for line in out.read_text().splitlines()]
    _, chunks = unpackb(payload)
    assert sorted(s["span_id"] for s in shown["spans"]) == sorted(span[4] for chunk in chunks for span in chunk)


def test_the_live_terminal_shows_the_tree(tmp_path: Any) -> None:
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed: the live terminal check needs it")
    script = tmp_path / "app.py"
    script.write_text(APP)
    socket_name = f"ddi-view-{uuid.uuid4().hex[:8]}"
    session = "viewer"
    env = _env(LANG="C.UTF-8", LC_ALL="C.UTF-8", APP_SLEEP="5")
    env.pop("NO_COLOR")
    env.pop("TMUX", None)
    tmux_cmd = [tmux, "-u", "-L", socket_name]
    subprocess.run(
        [*tmux_cmd, "new-session", "-d", "-s", session, "-x", "220", "-y", "50", "sh"],
        env=env,
        check=True,
        timeout=30,
    )
    try:
        command = f'{CLI} run --show python {script}; echo "status: $?"'
        subprocess.run([*tmux_cmd, "send-keys", "-t", session, command, "Enter"], check=True, timeout=30)
        screen = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [*tmux_cmd, "capture-pane", "-p", "-t", session], capture_output=True, text=True, timeout=30
            ).stdout
            if re.search(r"^status: \d+$", screen, re.M):
                break
            time.sleep(0.2)
        # a narrow terminal would wrap the lines: join what tmux wrapped to compare whole lines
        joined = subprocess.run(
            [*tmux_cmd, "capture-pane", "-p", "-J", "-t", session], capture_output=True, text=True, timeout=30
        ).stdout
    finally:
        subprocess.run([*tmux_cmd, "kill-server"], capture_output=True, timeout=30)
    assert re.search(r"^status: 3$", screen, re.M), screen
    _assert_tree(joined, SHOP_TREE)
    # live: the trace was on the screen while the app still ran (it prints "app done" 5 s after its trace)
    assert joined.index("web.request") < joined.index("app done"), joined
