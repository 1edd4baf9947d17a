"""Shared span capture and assertions for the whole suite."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from typing import Awaitable
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Iterator
from typing import List
from typing import Mapping
from typing import Optional
from typing import Set
from typing import Tuple

from ddtrace.trace import Span
from ddtrace.trace import TraceFilter
from ddtrace.trace import tracer
from hypothesis import strategies as st

from ddtrace_integrations.compare import LAUNCHERS
from ddtrace_integrations.compare import VOLATILE_META
from ddtrace_integrations.compare import Run
from ddtrace_integrations.compare import differences
from ddtrace_integrations.compare import documented
from ddtrace_integrations.compare import normalize
from ddtrace_integrations.compare import run_traced
from ddtrace_integrations.compare import stream_differences

ROOT = Path(__file__).resolve().parent.parent
AGENT_URL = os.environ.get("DDI_TEST_AGENT_URL", "http://127.0.0.1:8126")
PG_DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


class SpanRecorder(TraceFilter):
    """Keeps every finished trace as the real tracer produced it (after ddtrace's own processors)."""

    def __init__(self) -> None:
        self.spans: List[Span] = []

    def process_trace(self, trace: List[Span]) -> List[Span]:
        self.spans.extend(trace)
        return trace

    def named(self, name: str) -> List[Span]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str, resource: Optional[str] = None) -> Span:
        found = [s for s in self.named(name) if resource is None or s.resource == resource]
        assert len(found) == 1, (
            f"expected one {name!r} span ({resource!r}), got {[(s.name, s.resource) for s in self.spans]}"
        )
        return found[0]

    def wait_for(self, name: str, timeout: float = 10) -> Span:
        """The one span ``name``, waiting for it: a server span finishes in the server's thread, and its
        trace reaches the recorder only once every span of that trace in this process finished."""
        deadline = time.monotonic() + timeout
        while not self.named(name) and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.one(name)

    def clear(self) -> None:
        self.spans.clear()


def install_recorder() -> SpanRecorder:
    recorder = SpanRecorder()
    tracer.configure(trace_processors=[recorder])
    return recorder


def assert_span(
    span: Span,
    *,
    name: Optional[str] = None,
    service: Optional[str] = None,
    resource: Optional[str] = None,
    span_type: Optional[str] = None,
    error: Optional[int] = None,
    meta: Optional[Mapping[str, str]] = None,
    metrics: Optional[Mapping[str, float]] = None,
    absent: Iterable[str] = (),
) -> None:
    expected = {"name": name, "service": service, "resource": resource, "span_type": span_type, "error": error}
    actual = {"name": span.name, "service": span.service, "resource": span.resource}
    actual.update(span_type=span.span_type, error=span.error)
    for key, value in expected.items():
        if value is not None:
            assert actual[key] == value, f"{key}: {actual[key]!r} != {value!r} on {span.name}"
    tags = span.get_tags()
    for key, value in (meta or {}).items():
        assert tags.get(key) == value, f"meta {key}: {tags.get(key)!r} != {value!r}; all meta: {tags}"
    span_metrics = span.get_metrics()
    for key, value in (metrics or {}).items():
        assert span_metrics.get(key) == value, f"metric {key}: {span_metrics.get(key)!r} != {value!r}"
    for key in absent:
        assert key not in tags and key not in span_metrics, f"{key} should not be on {span.name}: {tags}"


class DataStreams:
    """What a Data Streams processor recorded, over all its buckets."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor

    def pathways(self, *edge_tags: str) -> List[Tuple[int, int, Any]]:
        """(hash, parent hash, stats) of each checkpoint with exactly these edge tags."""
        wanted = ",".join(sorted(edge_tags))
        return [
            (hash_value, parent, stats)
            for bucket in self.processor._buckets.values()
            for (tags, hash_value, parent), stats in bucket.pathway_stats.items()
            if tags == wanted
        ]

    def offsets(self, kind: str) -> Dict[Tuple[Any, ...], int]:
        """The latest ``produce`` or ``commit`` offset of each partition (keyed as ddtrace keys them)."""
        found: Dict[Tuple[Any, ...], int] = {}
        for bucket in self.processor._buckets.values():
            for key, offset in getattr(bucket, f"latest_{kind}_offsets").items():
                found[tuple(key)] = max(offset, found.get(tuple(key), offset))
        return found

    @staticmethod
    def sketch_of(*values: float) -> bytes:
        """The serialized sketch holding exactly ``values``: compares a recorded distribution exactly."""
        from ddtrace.internal.native import DDSketch

        sketch = DDSketch()
        for value in values:
            sketch.add(value)
        return sketch.to_proto()


def dbm_comment(span: Span, mode: str, **fields: str) -> str:
    """The SQL comment ddtrace's format gives ``span`` in ``mode``: ``fields`` (dddb, dddbs, ddh, ddps)
    sorted as the comment sorts them, plus the traceparent in full mode."""
    if mode == "full":
        flags = "01" if (span.context.sampling_priority or 0) > 0 else "00"
        fields["traceparent"] = f"00-{span.trace_id:032x}-{span.span_id:016x}-{flags}"
    return "/*" + ",".join(f"{k}='{v}'" for k, v in sorted(fields.items())) + "*/ "


GATEWAY_HEADERS = {  # an AWS API Gateway in front of the server, and the caller before it
    "x-dd-proxy": "aws-apigateway",
    "x-dd-proxy-request-time-ms": "1700000000000",
    "x-dd-proxy-path": "/prod/users/7",
    "x-dd-proxy-httpmethod": "GET",
    "x-dd-proxy-domain-name": "gw.example.com",
    "x-dd-proxy-stage": "prod",
    "x-datadog-trace-id": "1234",
    "x-datadog-parent-id": "5678",
    "x-datadog-sampling-priority": "1",
}


def assert_gateway_parent(proxy: Span, request: Span) -> None:
    """The gateway's span (from GATEWAY_HEADERS) continues the caller's trace and holds the request span."""
    assert (proxy.trace_id, proxy.parent_id) == (1234, 5678)
    assert (request.trace_id, request.parent_id) == (1234, proxy.span_id)
    assert_span(
        proxy,
        service="gw.example.com",
        resource="GET /prod/users/7",
        span_type="web",
        meta={"component": "aws-apigateway", "stage": "prod", "http.status_code": "200"},
        metrics={"_dd.inferred_span": 1},
    )
    assert proxy.start_ns == 1_700_000_000_000_000_000
    assert proxy.start_ns + proxy.duration_ns >= request.start_ns + request.duration_ns


def assert_no_secret(spans: Iterable[Span], secret: str) -> None:
    for span in spans:
        blob = json.dumps([span.resource, span.get_tags()], default=str)
        assert secret not in blob, f"secret leaked on {span.name}"


# --- bad input catalogs: a traced call behaves exactly as the untraced one, and never raises from our code ---

Outcome = Tuple[str, Any]  # ("returned", value) or ("raised", (exception type, message))


def outcome(call: Callable[[], Any]) -> Outcome:
    """What the application sees of ``call()``: its result, or the exception's type and message."""
    try:
        return "returned", call()
    except Exception as exc:
        return "raised", (type(exc), str(exc))


async def async_outcome(call: Callable[[], Awaitable[Any]]) -> Outcome:
    try:
        return "returned", await call()
    except Exception as exc:
        return "raised", (type(exc), str(exc))


async def maybe(value: Any) -> Any:
    """``value``, awaited if it is awaitable: one catalog case serves a library's sync and async APIs."""
    return await value if inspect.isawaitable(value) else value


PROPAGATION_HEADERS = ("x-datadog-", "traceparent", "tracestate", "baggage")


def without_propagation(echoed: Mapping[str, Any]) -> Dict[str, Any]:
    """Request headers a server saw, less those the integration adds (their values are per trace)."""
    return {k: v for k, v in echoed.items() if not k.lower().startswith(PROPAGATION_HEADERS)}


@contextmanager
def patching(**integrations: bool) -> Iterator[None]:
    """The integrations patched for the block, unpatched after it: the body of every test module's ``patched``
    fixture (the fixture's scope and name stay the module's own)."""
    import ddtrace_integrations

    ddtrace_integrations.patch(**integrations)
    try:
        yield
    finally:
        ddtrace_integrations.unpatch(**integrations)


def patched_fixture(
    *, scope: str = "function", autouse: bool = False, name: str = "patched", **integrations: bool
) -> Any:
    """A fixture (``name``, ``scope``) that keeps the integrations patched while it is in use, for a module to
    assign (``patched = patched_fixture(asyncpg=True)``) instead of writing the same four lines again."""
    import pytest

    @pytest.fixture(scope=scope, autouse=autouse, name=name)  # type: ignore[call-overload]
    def fixture() -> Iterator[None]:
        with patching(**integrations):
            yield

    return fixture


@contextmanager
def plugins_off(*integrations: str) -> Iterator[None]:
    """The integrations' plugins unsubscribed: their publishers call straight through, as untraced."""
    from ddtrace_integrations import _patching
    from ddtrace_integrations import tracing_plugins

    modules = [_patching.BUILTIN[name].plugins for name in integrations]
    for module in modules:
        tracing_plugins.shutdown(module)
    try:
        yield
    finally:
        for module in modules:
            tracing_plugins.initialize(module)


LONG = "x" * 65536  # a 64 KiB value: a query, a header, a URL
MALFORMED_PROPAGATION = {  # one of each propagation header, each malformed: a request carrying them is served
    "traceparent": "00-" + "f" * 32 + "-" + "0" * 16 + "-01",  # a zero parent id
    "tracestate": "dd=s:2;o:\u2603;;,,=",
    "x-datadog-trace-id": str(2**64),
    "x-datadog-parent-id": "-5",
    "x-datadog-sampling-priority": "high",
    "x-datadog-tags": "_dd.p.tid=zz,=,,",
}


# An HTTP client catalog case: (its URL from the loopback server's base URL, request keyword arguments, spans it
# makes, whether our code is reached).
HttpClientCase = Tuple[Callable[[str], Any], Dict[str, Any], int, bool]
# The cases every HTTP client (httpx, aiohttp) meets alike: odd URLs and headers each client sends, one span each.
HTTP_CLIENT_CASES: Dict[str, HttpClientCase] = {
    "userinfo": (lambda b: b.replace("://", "://user:pa%3Ass@") + "/headers", {}, 1, True),
    "ipv6_host": (lambda b: "http://[::1]:1/headers", {}, 1, True),
    "ftp_scheme": (lambda b: "ftp://127.0.0.1/file", {}, 1, True),
    "no_host": (lambda b: "http:///headers", {}, 1, True),
    "query_non_ascii": (lambda b: b + "/headers?token=abc&name=\u2603&bad=%ff%fe", {}, 1, True),
    "path_percent_garbage": (lambda b: b + "/headers/%ff%fe%00", {}, 1, True),
    "duplicate_header_pairs": (lambda b: b + "/headers", {"headers": [("X-Dup", "1"), ("x-dup", "2")]}, 1, True),
    "control_char_header": (lambda b: b + "/headers", {"headers": {"X-Ctl": "a\x7fb\r\nX-Injected: 1"}}, 1, True),
    "huge_header": (lambda b: b + "/headers", {"headers": {"X-Huge": LONG}}, 1, True),
    "malformed_propagation_headers": (
        lambda b: b + "/headers",
        {"headers": {"traceparent": "00-zz-yy-01", "x-datadog-trace-id": "-1", "tracestate": "dd=;;,,="}},
        1,
        True,
    ),
}


def untraced_then_traced(call: Callable[[], Outcome], spans: Any, caplog: Any, *integrations: str) -> Any:
    """(untraced, traced): ``call()``'s outcome with the integrations' plugins off, then on, with the recorded
    spans and our log records (debug and up) cleared in between, so that both hold the traced call's only. Every
    bad input catalog compares the two this way (``assert_same_and_traced``)."""
    caplog.set_level(logging.DEBUG, logger="ddtrace_integrations")
    with plugins_off(*integrations):
        untraced = call()
    spans.clear()
    caplog.clear()
    return untraced, call()


async def outcome_on_connection(
    connect: Callable[[], Any], use: Callable[[Any], Any], close_errors: bool = False
) -> Outcome:
    """The outcome of ``use(conn)`` on a fresh connection (sync or async driver), closed after it. A bad input
    case may leave the connection broken: ``close_errors`` ignores an error closing it (the case is what
    counts); otherwise closing must work too."""
    conn = connect()
    conn = await conn if asyncio.iscoroutine(conn) else conn
    try:
        return await async_outcome(lambda: maybe(use(conn)))
    finally:
        try:
            closing = conn.close()
            if asyncio.iscoroutine(closing):
                await closing
        except Exception:
            if not close_errors:
                raise


def our_records(records: Iterable[logging.LogRecord]) -> List[logging.LogRecord]:
    return [r for r in records if r.name.startswith("ddtrace_integrations")]


def assert_no_fault(records: Iterable[logging.LogRecord], *integrations: str) -> None:
    """Nothing of ours logged above debug (a plugin fault logs an error), and every plugin is still on."""
    import importlib

    from ddtrace_integrations import _patching
    from ddtrace_integrations import tracing_plugins

    loud = [(r.name, r.getMessage()) for r in our_records(records) if r.levelno > logging.DEBUG]
    assert loud == [], loud
    for name in integrations:
        module = importlib.import_module(_patching.BUILTIN[name].plugins)
        off = [cls.__name__ for cls in tracing_plugins.plugins_in(module) if not tracing_plugins.get(cls).enabled]
        assert off == [], f"plugins switched off: {off}"


def _positions_masked(found: Outcome) -> Outcome:
    if found[0] != "raised":
        return found
    kind, message = found[1]
    return found[0], (kind, re.sub(r"[0-9]+", "#", message.split("\n", 1)[0]))


def assert_same_and_traced(
    untraced: Outcome,
    traced: Outcome,
    found: List[Span],
    count: int,
    records: Iterable[logging.LogRecord],
    *integrations: str,
    reached: bool = True,
    commented: bool = False,
    error: Optional[bool] = None,
) -> None:
    """The catalog's rule for one case: the application saw what it sees untraced; ``count`` spans were made
    (0: the call went untraced, and our code said so at debug level; or, not ``reached``, the library refused
    the call before any traced method ran, and our code said nothing), each marked as an error when the call
    raised (or, for a server, as ``error`` says); no plugin failed. ``commented``: queries carried a DBM
    comment, which shifts the positions a driver's error message quotes (as under ddtrace): an error's first
    line is then compared with its numbers masked."""
    if commented and traced != untraced:
        traced, untraced = _positions_masked(traced), _positions_masked(untraced)
    assert traced == untraced, f"traced {traced!r} != untraced {untraced!r}"
    assert len(found) == count, [(s.name, s.resource, s.error) for s in found]
    debug = [r.getMessage() for r in our_records(records) if r.levelno == logging.DEBUG]
    if not reached:
        assert count == 0 and debug == [], debug
    elif count == 0:
        assert debug, "skipped without a debug log"
    elif traced[0] == "raised" if error is None else error:
        assert any(s.error == 1 for s in found), found
    else:
        assert all(s.error == 0 for s in found), found
    assert_no_fault(records, *integrations)


async def asgi_call(app: Any, method: str, path: str, query: bytes, headers: List[Tuple[bytes, bytes]]) -> Any:
    """One HTTP request through an ASGI application, as a server hands it over (the client never disconnects):
    the response's status, headers and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    requested, done, sent = False, asyncio.Event(), []

    async def receive() -> Dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # Django listens for a disconnect while the view runs
        return {"type": "http.disconnect"}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    start = sent[0]
    return start["status"], sorted(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


# --- untrusted propagation headers (hypothesis): what a caller may send, and what it may be continued from ---

MAX_64 = 2**64
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")

_ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    st.text(max_size=40),
    st.just(""),
)
_hex = st.text(alphabet="0123456789abcdefABCDEFxyz-", min_size=0, max_size=34)
_traceparent = st.one_of(
    st.builds(lambda v, t, p, f: f"{v}-{t}-{p}-{f}", _hex, _hex, _hex, _hex),
    st.from_regex(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", fullmatch=True),
    st.text(max_size=80),
)
_values: Dict[str, st.SearchStrategy[str]] = {
    "x-datadog-trace-id": _ids,
    "x-datadog-parent-id": _ids,
    "x-datadog-sampling-priority": _ids,
    "x-datadog-origin": st.text(max_size=20),
    "x-datadog-tags": st.one_of(st.text(max_size=60), st.from_regex(r"_dd\.p\.tid=[0-9a-fx]{0,18}", fullmatch=True)),
    "traceparent": _traceparent,
    "tracestate": st.text(max_size=80),
    "baggage": st.text(max_size=60),
}
headers_strategy = st.fixed_dictionaries({}, optional=_values).map(
    lambda h: {k: v for k, v in h.items() if "\x00" not in v}
)


def _decimal(value: Optional[str]) -> Optional[int]:
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < MAX_64 else None


def carried_ids(headers: Dict[str, str]) -> Set[Tuple[int, int]]:
    """(trace id, parent id) pairs the headers carry well-formed: a span may continue or link to these only."""
    found = set()
    trace_id, parent_id = _decimal(headers.get("x-datadog-trace-id")), _decimal(headers.get("x-datadog-parent-id"))
    if trace_id and parent_id:
        found.add((trace_id, parent_id))
    match = TRACEPARENT.fullmatch(headers.get("traceparent", "").strip().lower())
    if match and int(match[1], 16) and int(match[2], 16):
        found.add((int(match[1], 16), int(match[2], 16)))
    return found


def continues_only_what_was_carried(trace_id: int, parent_id: int, headers: Dict[str, str]) -> bool:
    """The datadog headers carry a trace id's lower 64 bits (the upper half travels in ``_dd.p.tid``)."""
    return any(
        parent_id == parent and trace_id in (trace, trace + (trace_id >> 64 << 64))
        for trace, parent in carried_ids(headers)
    )


def raw(headers: Dict[str, str], garbage: Dict[str, bytes]) -> List[Tuple[bytes, bytes]]:
    """``headers`` as the (name, value) byte pairs of a wire protocol (ASGI, Kafka), with ``garbage`` added:
    arbitrary bytes (non-UTF-8 too) under propagation names, a second value when the name is already there."""
    pairs = [(k.encode(), v.encode("utf-8", "surrogatepass")) for k, v in headers.items()]
    return pairs + [(k.encode(), v) for k, v in garbage.items()]


raw_headers_strategy = st.builds(
    raw,
    headers_strategy,
    st.dictionaries(st.sampled_from(sorted(_values)), st.binary(max_size=40), max_size=3),
)


def candidate_headers(pairs: List[Tuple[bytes, bytes]], decode: Callable[[bytes], str]) -> List[Dict[str, str]]:
    """Every text mapping ``pairs`` may be read as (``decode`` being how the integration decodes a value): with
    a name repeated, whichever of its values a reader keeps."""
    import itertools

    by_name: Dict[str, List[str]] = {}
    for name, value in pairs:
        by_name.setdefault(name.decode("latin-1").lower(), []).append(decode(value))
    names = sorted(by_name)
    return [dict(zip(names, chosen)) for chosen in itertools.product(*(by_name[n] for n in names))]


def assert_valid_parent(trace_id: int, span_id: int, carried: Iterable[Dict[str, str]]) -> None:
    """A continued or linked context has valid ids, and ids that one reading of the headers carried."""
    assert 0 < trace_id < 2**128 and 0 < span_id < MAX_64, (trace_id, span_id)
    assert any(continues_only_what_was_carried(trace_id, span_id, h) for h in carried), (trace_id, span_id)


# --- running a workload in a subprocess and reading its traces back from the test agent ---


def _agent(path: str) -> bytes:
    with urllib.request.urlopen(f"{AGENT_URL}{path}", timeout=30) as response:
        return response.read()


def workload_env(env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """A workload's environment: this one's less every ddtrace setting, the parity settings (service, env,
    version, no telemetry or remote configuration), ``env``, and the workloads' shared steps module on
    PYTHONPATH (after the workload's own directory, when ``env`` names one)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    full_env.update(
        DD_INSTRUMENTATION_TELEMETRY_ENABLED="false",
        DD_REMOTE_CONFIGURATION_ENABLED="false",
        DD_SERVICE="parity-app",
        DD_ENV="test",
        DD_VERSION="1.0",
        PYTHONPATH=str(ROOT / "tests" / "contrib"),
    )
    full_env.update(env or {})
    if env and env.get("PYTHONPATH"):
        full_env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], str(ROOT / "tests" / "contrib")))
    return full_env


def run_with_agent(
    argv: List[str], env: Optional[Mapping[str, str]] = None, timeout: float = 120
) -> Tuple[List[List[Dict[str, Any]]], str]:
    """Run ``argv`` with its traces sent to the test agent under a fresh session; return (traces, stdout)."""
    token = uuid.uuid4().hex
    _agent(f"/test/session/start?test_session_token={token}")
    full_env = workload_env(env)
    full_env.update(
        DD_TRACE_AGENT_URL=AGENT_URL,
        _DD_TRACE_WRITER_ADDITIONAL_HEADERS=f"X-Datadog-Test-Session-Token:{token}",
    )
    proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout}\n{proc.stderr}"
    traces = json.loads(_agent(f"/test/session/traces?test_session_token={token}") or b"[]")
    return traces, proc.stdout


def python() -> str:
    return sys.executable


PREFORK_DRIVER = str(ROOT / "tests" / "contrib" / "prefork_driver.py")


def assert_every_worker_traces(
    server: List[str], workers: int, env: Mapping[str, str], name: str, resource: str
) -> None:
    """A pre-fork server (``server``: its command, on port ``DDI_HTTP_PORT`` of ``env``) with ``workers``
    workers, driven by tests/contrib/prefork_driver.py until every worker answered: each worker, and no other
    process (the master), sent traces of requests, each trace rooted at its request span ``name`` for
    ``resource``. Shared by the pre-fork servers' tests (gunicorn, uvicorn), which differ only in the command."""
    traces, out = run_with_agent([python(), PREFORK_DRIVER, str(workers), *server], env)
    pids = [int(p) for p in out.split("pids ")[1].split("\n")[0].split()]
    master = int(out.split("master ")[1].split()[0])
    assert out.strip().endswith("exit 0") and len(pids) == workers and master not in pids, out
    requests = [s for t in traces for s in t if s["name"] == name]
    assert {s["resource"] for s in requests} == {resource}
    assert {s["metrics"]["process_id"] for s in requests} == set(pids)  # a trace from every worker, none other
    assert all([s["name"] for s in t if not s.get("parent_id")] == [name] for t in traces)


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


# --- parity: two runs of one workload, compared span by span ---

Allowed = Set[Tuple[str, str, str]]


def _parity_run(argv: List[str], launcher: str, env: Mapping[str, str]) -> Run:
    """One run of a parity workload, against a receiver of its own (compare's)."""
    run = run_traced(argv, launcher, settle=0.3, timeout=120, env=workload_env(env), cwd=str(ROOT))
    assert run.returncode == 0, f"{argv} failed:\n{run.stdout}\n{run.stderr}"
    return run


def assert_parity(workload: str, variant: str, env: Mapping[str, str], allowed: Allowed, min_spans: int) -> None:
    """Run ``workload`` under ``ddtrace-run`` and under ``ddtrace-integrations run`` and compare every span, with
    ``ddtrace-integrations compare``'s engine (its receiver, normalization, differences and documented list).

    ``allowed`` holds the reviewed differences, keyed (variant or "*", workload step or "*", field); each must
    still occur, so that a difference ddtrace no longer has is noticed and the entry removed, and each must be
    one that ``compare`` labels documented.
    """
    dd = _parity_run([bin_path("ddtrace-run"), bin_path("python"), workload], LAUNCHERS[0], env)
    v2_run = [bin_path("ddtrace-integrations"), "run", bin_path("python"), workload]
    v2 = _parity_run(v2_run, LAUNCHERS[1], env)
    assert dd.stdout == v2.stdout, f"the workload behaved differently under v2:\n{dd.stdout}\n---\n{v2.stdout}"
    if env.get("DD_DATA_STREAMS_ENABLED") == "true":
        assert dd.streams["pathways"] and dd.streams["offsets"], "no Data Streams payload reached the receiver"
    expected, actual = normalize(dd.traces), normalize(v2.traces)
    assert len([r for r in expected if r["name"] != "workload.step"]) >= min_spans, "too few spans"

    def entry(path: str, field: str) -> Tuple[str, ...]:
        step = path.split("[", 1)[1].split("]", 1)[0]
        keys = [(v, s, field) for v in (variant, "*") for s in (step, "*")]
        return next((k for k in keys if k in allowed), ())

    found = differences(expected, actual) + stream_differences(dd.streams, v2.streams)
    unexpected = [d for d in found if not entry(d.path, d.field)]
    assert unexpected == [], "\n".join(f"{p} {f}: ddtrace={a!r} v2={b!r}" for p, f, a, b in unexpected)
    rows = ({r["path"]: r for r in expected}, {r["path"]: r for r in actual})
    unlisted = [d for d in found if documented(d, *rows) is None]
    unlisted_kinds = sorted({(d.field, repr(d.ddtrace), repr(d.v2)) for d in unlisted})
    assert unlisted == [], f"allowed here, but not in ddtrace_integrations.compare.DOCUMENTED: {unlisted_kinds}"
    assert {entry(d.path, d.field) for d in found} == {e for e in allowed if e[0] in (variant, "*")}, "stale entries"


# --- small scripts in a fresh interpreter (patching order, env-driven settings, the CLI) ---

SPAN_COUNTER = """
import atexit, collections
from ddtrace.trace import TraceFilter, tracer
_seen = collections.Counter()
class _Count(TraceFilter):
    def process_trace(self, trace):
        _seen.update(s.name for s in trace)
        return None
tracer.configure(trace_processors=[_Count()])
def spans_named(name):
    tracer.flush()
    return _seen[name]
"""


def plugin_distribution(path: Path, name: str, entry_points: str, module: str) -> None:
    """An installed distribution ``name`` (1.0) in the folder ``path`` (put it on PYTHONPATH): its entry points
    ``entry_points`` (e.g. ``"fakelib = acme_tracing:INTEGRATION"``, in the ``ddtrace_integrations.plugins``
    group) and its module ``<name>.py`` holding ``module``: a third-party integration as the registry finds it."""
    package = name.replace("-", "_")
    dist = path / f"{package}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[ddtrace_integrations.plugins]\n{entry_points}\n")
    (path / f"{package}.py").write_text(module)


def run_python(code: str, env: Optional[Mapping[str, str]] = None, prefix: Tuple[str, ...] = ()) -> str:
    """Run ``code`` in a fresh interpreter (optionally under a launcher such as ``ddtrace-integrations run``)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    full_env.update(DD_INSTRUMENTATION_TELEMETRY_ENABLED="false", DD_REMOTE_CONFIGURATION_ENABLED="false")
    full_env.update(env or {})
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0, f"script failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr and "Error in sitecustomize" not in proc.stderr, proc.stderr
    return proc.stdout


def disabled_path_calls(call: Any) -> Tuple[int, List[str]]:
    """Runs ``call()`` under a profiler: how many of v2's functions ran (its wrappers, called by the library),
    and each call one of them made into v2 or ddtrace Python code. On the disabled path (nothing listening) a
    wrapper checks the listeners and calls the library: it must make none."""
    ran = 0
    nested: List[str] = []

    def ours(frame: Any) -> bool:
        return "/ddtrace_integrations/" in frame.f_code.co_filename

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal ran
        if event != "call" or (not ours(frame) and "/ddtrace/" not in frame.f_code.co_filename):
            return
        caller = frame.f_back
        if caller is not None and ours(caller):
            nested.append(f"{caller.f_code.co_name} -> {frame.f_code.co_name} ({frame.f_code.co_filename})")
        elif ours(frame):
            ran += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return ran, nested


# --- load: many tasks or threads at once, each trace checked against its own task ---

TASK_ROOT = "load.task"
TASK_MARKER = re.compile(r"task\d{5}")
SHAPE_VOLATILE_META = VOLATILE_META | {"_dd.p.dm", "_dd.base_service", "language"}


def marker(i: int) -> str:
    """Task ``i``'s mark, put into its call's arguments (a query, a URL path, a message key): unique, and never
    a part of anything the tracer writes by itself (ids, ports, timings)."""
    return f"task{i:05d}"


def traces_of(spans: Iterable[Span]) -> Dict[int, List[Span]]:
    found: Dict[int, List[Span]] = {}
    for span in spans:
        found.setdefault(span.trace_id, []).append(span)
    return found


def markers_in(span: Span) -> Set[str]:
    """Every task mark in ``span``'s resource and string tags."""
    text = " ".join([span.resource, *(str(v) for v in span.get_tags().values())])
    return set(TASK_MARKER.findall(text))


def assert_task_traces(
    spans: Iterable[Span], count: int, expected: Any, meta_keys: Iterable[str] = ()
) -> Dict[str, List[Span]]:
    """``count`` tasks each ran one traced call under its own ``TASK_ROOT`` span (tagged ``task`` with its
    mark). Checks that every task made exactly one trace, that it holds exactly the spans ``expected(mark)``
    lists as (name, resource, parent's name, {meta_key: value}) (tags outside ``meta_keys`` not compared), each
    parented inside its own trace, and that no span carries another task's mark. Returns the traces by mark."""
    keys = sorted(meta_keys)
    by_mark: Dict[str, List[Span]] = {}
    for trace_id, trace in traces_of(spans).items():
        roots = [s for s in trace if s.parent_id is None]
        assert [s.name for s in roots] == [TASK_ROOT], (
            f"trace {trace_id}: roots {[(s.name, s.resource) for s in roots]}"
        )
        own = roots[0].get_tag("task")
        assert own not in by_mark, f"two traces for {own}"
        by_mark[own] = trace
        by_id = {s.span_id: s for s in trace}
        actual = []
        for span in trace:
            assert markers_in(span) <= {own}, f"{span.name} in {own}'s trace carries {markers_in(span)}"
            if span is roots[0]:
                continue
            assert span.parent_id in by_id, f"{span.name} in {own}'s trace has a parent outside it"
            tags = span.get_tags()
            actual.append((span.name, span.resource, by_id[span.parent_id].name, {k: tags.get(k) for k in keys}))
        want = [(n, r, p, {k: m.get(k) for k in keys}) for n, r, p, m in expected(own)]
        assert sorted(actual, key=repr) == sorted(want, key=repr), f"{own}: {actual} != {want}"
    assert sorted(by_mark) == [marker(i) for i in range(count)], f"{len(by_mark)} task traces of {count}"
    return by_mark


def trace_shape(trace: List[Span], own: str) -> List[Tuple[Any, ...]]:
    """A request's trace as sorted (name, resource, parent's name and resource, meta) rows, its own mark written
    ``{mark}`` and the tags that differ between any two requests (ids, the client's port) left out: two requests
    that differ only by their mark have the same shape."""
    by_id = {s.span_id: s for s in trace}
    rows = []
    for span in trace:
        parent = by_id.get(span.parent_id) if span.parent_id else None
        meta = {
            k: str(v).replace(own, "{mark}")
            for k, v in span.get_tags().items()
            if k not in SHAPE_VOLATILE_META and not k.startswith("network.client")
        }
        rows.append(
            (
                span.name,
                span.resource.replace(own, "{mark}"),
                (parent.name, parent.resource.replace(own, "{mark}")) if parent else None,
                sorted(meta.items()),
            )
        )
    return sorted(rows, key=repr)


def assert_request_traces(spans: Iterable[Span], marks: Iterable[str], reference: List[Tuple[Any, ...]]) -> None:
    """One trace per request mark, each of exactly the ``reference`` shape (a lone request's trace) for its
    own mark, and no span in it carrying another request's mark."""
    wanted = sorted(marks)
    found: Dict[str, List[Span]] = {}
    for trace in traces_of(spans).values():
        carried = set().union(*(markers_in(s) for s in trace))
        assert len(carried) == 1, f"a trace carries marks {sorted(carried)}"
        own = carried.pop()
        assert own not in found, f"two traces for {own}"
        found[own] = trace
        assert trace_shape(trace, own) == reference, f"{own}: {trace_shape(trace, own)} != {reference}"
    assert sorted(found) == wanted, f"{len(found)} request traces of {len(wanted)}"


@contextmanager
def task_root(i: int) -> Iterator[Span]:
    """Task ``i``'s ``TASK_ROOT`` span, tagged with its mark, current for the block: what ``assert_task_traces``
    expects each task's trace to hang from."""
    with tracer.trace(TASK_ROOT) as root:
        root.set_tag("task", marker(i))
        yield root


async def in_tasks(tasks: int, task: Callable[[int], Awaitable[Any]]) -> List[Any]:
    """``task(i)`` for every i below ``tasks``, all at once as asyncio tasks; the results in order of i."""
    return list(await asyncio.gather(*(task(i) for i in range(tasks))))


def assert_concurrent_requests(
    spans: SpanRecorder,
    span_name: str,
    get: Callable[[str], Tuple[int, bytes]],
    body: Callable[[str], bytes],
    holds: Set[str],
    threads: int = 64,
    calls_per_thread: int = 10,
) -> None:
    """A server under ``threads`` untraced clients at once: ``get(mark)`` requests a URL carrying the mark and
    must be answered ``(200, body(mark))``. A lone request's trace, which must hold spans of each name in
    ``holds``, is the reference shape; then every concurrent request must make one trace of exactly that shape
    for its own mark (the web frameworks' load tests, WSGI and ASGI alike)."""
    requests = threads * calls_per_thread
    lone = marker(requests)  # a mark no concurrent request uses
    assert get(lone) == (200, body(lone))
    wait_for_spans(spans, span_name, 1)
    reference = trace_shape(spans.spans, lone)
    names = {row[0] for row in reference}
    assert holds <= names, names
    spans.clear()

    results = in_threads(threads, calls_per_thread, lambda i: get(marker(i)))
    assert results == [(200, body(marker(i))) for i in range(requests)]
    wait_for_spans(spans, span_name, requests)
    assert_request_traces(spans.spans, [marker(i) for i in range(requests)], reference)


def in_threads(threads: int, calls: int, call: Any) -> List[Any]:
    """``call(i)`` for every i below ``threads * calls``, run by ``threads`` threads at once; the results in
    order of i (the first error raised again)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(call, range(threads * calls)))


class ConnectionPool:
    """At most ``len(connections)`` users at a time, each with a connection of its own: for driver tests that
    need more concurrent callers than the server takes connections, without a pooling library's own queries."""

    def __init__(self, connections: List[Any]) -> None:
        import queue

        self.connections = connections
        self.idle: Any = queue.SimpleQueue()
        for conn in connections:
            self.idle.put(conn)

    def run(self, call: Any) -> Any:
        conn = self.idle.get(timeout=60)
        try:
            return call(conn)
        finally:
            self.idle.put(conn)


def queries_in_threads(connections: List[Any], threads: int, calls: int, query: Callable[[str, Any], Any]) -> List[Any]:
    """``query(marker(i), conn)`` for every i below ``threads * calls``, each under task i's root span, run by
    ``threads`` threads sharing ``connections`` (a ``ConnectionPool``), which are closed after; the results in
    order of i. The DB-API drivers' thread load tests."""
    pool = ConnectionPool(connections)

    def call(i: int) -> Any:
        with task_root(i):
            return pool.run(lambda conn: query(marker(i), conn))

    try:
        return in_threads(threads, calls, call)
    finally:
        for conn in connections:
            conn.close()


class AsyncConnectionPool:
    """``ConnectionPool`` for asyncio tasks (make it inside the running loop)."""

    def __init__(self, connections: List[Any]) -> None:
        import asyncio

        self.connections = connections
        self.idle: Any = asyncio.Queue()
        for conn in connections:
            self.idle.put_nowait(conn)

    async def run(self, call: Any) -> Any:
        conn = await self.idle.get()
        try:
            return await call(conn)
        finally:
            self.idle.put_nowait(conn)


def wait_for_spans(recorder: SpanRecorder, name: str, count: int, timeout: float = 60) -> List[Span]:
    """The ``name`` spans once ``count`` of them were recorded (a server's spans end in its own threads, after
    the client has its response)."""
    deadline = time.monotonic() + timeout
    while len(recorder.named(name)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    found = recorder.named(name)
    assert len(found) == count, f"{len(found)} {name} spans of {count}"
    return found


def http_get(url: str) -> Tuple[int, bytes]:
    """An untraced GET (http.client is never patched)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", parts.path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
