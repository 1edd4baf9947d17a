"""``ddtrace-integrations compare``: normalization, matching, differences and their labels on constructed spans;
end to end, the command on real workloads under the real ``ddtrace-run`` and ``ddtrace-integrations run``."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

import pytest
from helpers import PG_DSN
from helpers import ROOT
from helpers import bin_path

from ddtrace_integrations.compare import DOCUMENTED
from ddtrace_integrations.compare import KAFKA
from ddtrace_integrations.compare import PSYCOPG
from ddtrace_integrations.compare import SPAN_FIELDS
from ddtrace_integrations.compare import Comparison
from ddtrace_integrations.compare import Difference
from ddtrace_integrations.compare import Run
from ddtrace_integrations.compare import child_env
from ddtrace_integrations.compare import data_streams
from ddtrace_integrations.compare import differences
from ddtrace_integrations.compare import documented
from ddtrace_integrations.compare import normalize
from ddtrace_integrations.compare import render
from ddtrace_integrations.compare import stream_differences

CLI = bin_path("ddtrace-integrations")
NO_STREAMS: Dict[str, Any] = {"pathways": [], "offsets": {}}


def span(
    span_id: int,
    parent_id: int = 0,
    name: str = "op",
    start: int = 0,
    resource: Optional[str] = None,
    meta: Optional[Dict[str, str]] = None,
    metrics: Optional[Dict[str, float]] = None,
    **fields: Any,
) -> Dict[str, Any]:
    """A span as the receiver decodes it (``viewer.traces``)."""
    return {
        "trace_id": fields.pop("trace_id", 7),
        "span_id": span_id,
        "parent_id": parent_id,
        "service": fields.pop("service", "svc"),
        "name": name,
        "resource": name if resource is None else resource,
        "type": fields.pop("type", ""),
        "start": start,
        "duration": fields.pop("duration", 1000),
        "error": fields.pop("error", 0),
        "meta": meta or {},
        "metrics": metrics or {},
        **fields,
    }


def shop_run(base: int, pid: int, start: int) -> List[List[Dict[str, Any]]]:
    """One run of the same small program: a request with two queries and a render, and a job that links to the
    request; ``base``, ``pid`` and ``start`` are what differs between two runs (ids, the process, the clock)."""
    request = [
        span(base + 1, 0, "web.request", start, "GET /orders", meta={"runtime-id": f"r{pid}", "_dd.p.tid": "ab"}),
        span(base + 3, base + 1, "postgres.query", start + 30, "select 2", meta={"db.system": "postgresql"}),
        span(base + 2, base + 1, "postgres.query", start + 10, "select 1", meta={"db.system": "postgresql"}),
        span(
            base + 4,
            base + 1,
            "render",
            start + 50,
            "orders.html",
            error=1,
            meta={"error.stack": f"line {pid}", "error.message": f"comment traceparent 00-{base:032x}"},
            metrics={"process_id": pid, "_dd.measured": 1},
        ),
    ]
    link = json.dumps([{"trace_id": "0", "span_id": f"{base + 2:016x}"}])
    job = [span(base + 9, 0, "job.run", start + 100, "nightly", trace_id=8, meta={"_dd.span_links": link})]
    return [job, request]  # in arrival order, not start order


def test_normalize_keys_spans_by_tree_position_and_drops_what_differs_between_runs() -> None:
    rows = normalize(shop_run(100, 42, 1000))
    assert [(r["path"], r["trace"], r["depth"]) for r in rows] == [
        ("/job.run[nightly]#0", "/job.run[nightly]#0", 0),
        ("/web.request[GET /orders]#0", "/web.request[GET /orders]#0", 0),
        ("/web.request[GET /orders]#0/postgres.query[select 1]#0", "/web.request[GET /orders]#0", 1),
        ("/web.request[GET /orders]#0/postgres.query[select 2]#0", "/web.request[GET /orders]#0", 1),
        ("/web.request[GET /orders]#0/render[orders.html]#0", "/web.request[GET /orders]#0", 1),
    ]
    job, request, _, _, render_row = rows
    assert job["meta"] == {"_dd.span_links": ["/web.request[GET /orders]#0/postgres.query[select 1]#0"]}
    assert request["meta"] == {}  # runtime-id and the trace id's high bits dropped
    assert render_row["meta"] == {"error.stack": "<present>", "error.message": "comment traceparent 00-<id>"}
    assert render_row["metrics"] == {"_dd.measured": 1}
    assert (render_row["error"], render_row["service"], render_row["type"]) == (1, "svc", "")


def test_two_runs_of_the_same_program_have_no_differences() -> None:
    assert normalize(shop_run(100, 42, 1000)) == normalize(shop_run(5000, 77, 9_000_000))
    assert differences(normalize(shop_run(100, 42, 1000)), normalize(shop_run(5000, 77, 9_000_000))) == []


def test_root_spans_of_the_same_name_are_numbered_across_traces_by_start() -> None:
    traces = [[span(2, 0, "tick", 20, trace_id=2)], [span(1, 0, "tick", 10, trace_id=1, meta={"n": "first"})]]
    rows = normalize(traces)
    assert [(r["path"], r["meta"]) for r in rows] == [("/tick[tick]#0", {"n": "first"}), ("/tick[tick]#1", {})]


def test_v04_span_links_are_named_by_the_position_they_point_to() -> None:
    trace = [span(1, 0, "producer"), span(2, 0, "consumer", 5, span_links=[{"trace_id": 7, "span_id": 1}])]
    consumer = normalize([trace])[0]
    assert (consumer["path"], consumer["span_links"]) == ("/consumer[consumer]#0", 1)
    assert consumer["meta"] == {"_dd.span_links": ["/producer[producer]#0"]}


def test_differences_field_by_field() -> None:
    ddtrace = [
        span(1, 0, "web.request", 0, "GET /", meta={"component": "flask", "http.route": "/"}, metrics={"m": 1}),
        span(2, 1, "render", 5, meta={"only.ddtrace": "x"}),
        span(3, 1, "flask.response", 9),
    ]
    v2 = [
        span(11, 0, "web.request", 0, "GET /", service="other", meta={"component": "flask"}, metrics={"m": 2}),
        span(12, 11, "render", 5, type="template", error=1, meta={"only.v2": "y"}),
        span(13, 11, "flask.finish", 9),
    ]
    found = differences(normalize([ddtrace]), normalize([v2]))
    request = "/web.request[GET /]#0"
    assert found == [
        Difference(request, "service", "svc", "other"),
        Difference(request, "meta.http.route", "/", None),
        Difference(request, "metrics.m", 1, 2),
        Difference(f"{request}/flask.finish[flask.finish]#0", "<span>", False, True),
        Difference(f"{request}/flask.response[flask.response]#0", "<span>", True, False),
        Difference(f"{request}/render[render]#0", "type", "", "template"),
        Difference(f"{request}/render[render]#0", "error", 0, 1),
        Difference(f"{request}/render[render]#0", "meta.only.ddtrace", "x", None),
        Difference(f"{request}/render[render]#0", "meta.only.v2", None, "y"),
    ]


def test_a_span_only_one_run_made_leaves_its_siblings_matched() -> None:
    ddtrace = [span(1, 0, "job"), span(2, 1, "step", 1, "a"), span(3, 1, "step", 3, "a"), span(4, 1, "save", 4)]
    v2 = [*ddtrace[:2], span(9, 1, "extra", 2), span(10, 1, "step", 2, "a", meta={"n": "2"}), *ddtrace[2:]]
    assert differences(normalize([ddtrace]), normalize([v2])) == [
        Difference("/job[job]#0/extra[extra]#0", "<span>", False, True),
        Difference("/job[job]#0/step[a]#1", "meta.n", None, "2"),  # the second "a" step under v2
        Difference("/job[job]#0/step[a]#2", "<span>", False, True),
    ]


def _labelled(difference: Difference, row: Dict[str, Any]) -> Optional[str]:
    entry = documented(difference, {difference.path: row}, {})
    return entry.section if entry else None


def test_documented_differences_are_recognised_by_field_values_span_and_component() -> None:
    query = {"name": "postgres.query", "meta": {"component": "psycopg"}}
    assert _labelled(Difference("/q", "meta.db.application", "None", None), query) == PSYCOPG
    # the same tag with another value is not the reviewed difference
    assert _labelled(Difference("/q", "meta.db.application", "None", "shop"), query) is None
    assert _labelled(Difference("/q", "meta.db.user", "None", None), query) is None
    injected = Difference("/q", "meta._dd.dbm_trace_injected", "true", None)
    assert _labelled(injected, {"name": "postgres.query", "meta": {"component": "asyncpg"}}) == "asyncpg"
    assert _labelled(injected, query) == PSYCOPG
    assert _labelled(injected, {"name": "redis.command", "meta": {"component": "redis"}}) is None
    consumer = {"name": "kafka.consume", "meta": {"component": "confluent_kafka"}}
    assert _labelled(Difference("/c", "<span>", True, False), consumer) == KAFKA
    assert _labelled(Difference("/c", "<span>", True, False), {"name": "web.request", "meta": {}}) is None
    assert _labelled(Difference("/c", "metrics.kafka.message_offset", -1, 0), consumer) == KAFKA
    assert _labelled(Difference("/c", "metrics.kafka.message_offset", 3, 4), consumer) is None


def test_every_documented_difference_names_a_section_of_differences_md() -> None:
    headings = {line[3:] for line in (ROOT / "docs" / "differences.md").read_text().splitlines() if line[:3] == "## "}
    for entry in DOCUMENTED:
        assert entry.section in headings, f"{entry.reason}: no section {entry.section!r} in docs/differences.md"
        for field in entry.fields:
            assert field.startswith(("meta.", "metrics.")) or field in (*SPAN_FIELDS, "<span>", "pathway"), field
        assert entry.reason and not entry.reason.endswith("."), entry.reason


def test_the_commands_environment_reaches_no_agent_but_its_receiver() -> None:
    user = {
        "DD_SERVICE": "shop",
        "DD_AGENT_HOST": "agent.internal",
        "DD_TRACE_AGENT_PORT": "9126",
        "DD_TRACE_AGENT_URL": "http://agent.internal:8126",
        "DD_DOGSTATSD_URL": "udp://agent.internal:8125",
        "DD_API_KEY": "secret",
        "PATH": "/bin",
    }
    env = child_env(user, "http://127.0.0.1:4000", "udp://127.0.0.1:4001")
    assert env == {
        "DD_SERVICE": "shop",
        "PATH": "/bin",
        "DD_TRACE_AGENT_URL": "http://127.0.0.1:4000",
        "DD_DOGSTATSD_URL": "udp://127.0.0.1:4001",
    }


def _pipeline_stats(checkpoints: List[Any], backlogs: List[Any]) -> bytes:
    """A Data Streams payload as ddtrace's processor sends it: gzipped MessagePack, one bucket."""
    import msgpack

    stats = [
        {"EdgeTags": list(tags), "Hash": h, "ParentHash": p, "PathwayLatency": b"\x01", "EdgeLatency": b"\x02"}
        for tags, h, p in checkpoints
    ]
    bucket = {"Start": 0, "Duration": 10, "Stats": stats, "Backlogs": [{"Tags": t, "Value": v} for t, v in backlogs]}
    return gzip.compress(msgpack.packb({"Env": "test", "Service": "svc", "Lang": "python", "Stats": [bucket]}))


def test_data_streams_pathways_and_latest_offsets_are_compared() -> None:
    out = ("direction:out", "topic:t", "type:kafka")
    into = ("direction:in", "group:g", "topic:t", "type:kafka")
    produce = ["partition:0", "topic:t", "type:kafka_produce"]
    ddtrace = data_streams(
        [
            _pipeline_stats([(out, 11, 0), (into, 12, 0)], [(produce, 3)]),
            _pipeline_stats([(out, 11, 0)], [(list(reversed(produce)), 5)]),
        ]
    )
    assert ddtrace == {"pathways": [(into, 12, 0), (out, 11, 0)], "offsets": {tuple(produce): 5}}
    import msgpack

    no_hash = msgpack.packb({"Stats": [{"Stats": [{"EdgeTags": ["type:kafka"]}]}]})
    unreadable = [b"\xc1", gzip.compress(b"\x93\x01"), b"\x1f\x8b not gzip", no_hash, msgpack.packb([1])]
    assert data_streams(unreadable) == {"pathways": [], "offsets": {}}
    v2 = data_streams([_pipeline_stats([(out, 11, 0), (into, 12, 11)], [(produce, 4)])])
    assert stream_differences(ddtrace, v2) == [
        Difference("/[data streams]", "pathway", (into, 12, 0), None),
        Difference("/[data streams]", "pathway", None, (into, 12, 11)),
        Difference("/[data streams]", "offset partition:0,topic:t,type:kafka_produce", 5, 4),
    ]
    labels = [
        f.documented.section if f.documented else None
        for f in Comparison(
            Run("ddtrace-run", 0, "", "", [], ddtrace), Run("ddtrace-integrations run", 0, "", "", [], v2)
        ).findings
    ]
    assert labels == [KAFKA, KAFKA, None]


def test_report_groups_differences_by_trace_and_span_and_counts_them() -> None:
    ddtrace_spans = [
        span(1, 0, "web.request", 0, "GET /", meta={"component": "flask"}),
        span(2, 1, "postgres.query", 5, "select 1", meta={"component": "psycopg", "db.application": "None"}),
    ]
    v2_spans = [
        span(11, 0, "web.request", 0, "GET /", meta={"component": "flask", "extra": "1"}),
        span(12, 11, "postgres.query", 5, "select 1", meta={"component": "psycopg"}),
    ]
    job = [span(30, 0, "job.run", 100, trace_id=9)]
    ddtrace = Run("ddtrace-run", 0, "ok\n", "", [ddtrace_spans, job], NO_STREAMS)
    v2 = Run("ddtrace-integrations run", 3, "ok\nmore\n", "boom\n", [v2_spans, job], NO_STREAMS)
    comparison = Comparison(ddtrace, v2)
    assert render(comparison, ["python", "app.py"]).splitlines() == [
        "compare: python app.py",
        "  ddtrace  ddtrace-run               exit 0, 2 traces, 3 spans",
        "  v2       ddtrace-integrations run  exit 3, 2 traces, 3 spans",
        "",
        "trace job.run[job.run]#0: 1 span, no differences",
        "trace web.request[GET /]#0: 2 spans, 2 differences (1 unexpected)",
        "  web.request[GET /]#0",
        "    meta.extra  ddtrace: (absent)  v2: '1'  UNEXPECTED",
        "    postgres.query[select 1]#0",
        "      meta.db.application  ddtrace: 'None'  v2: (absent)  documented: ddtrace tags the text \"None\" when the "
        f'connection names no application (docs/differences.md, "{PSYCOPG}")',
        "the command:",
        "    exit code  ddtrace: 0  v2: 3  UNEXPECTED",
        "    the command printed something else  UNEXPECTED",
        "      --- ddtrace",
        "      +++ v2",
        "      @@ -1 +1,2 @@",
        "       ok",
        "      +more",
        "ddtrace-integrations run: the command exited 3; the end of its stderr:",
        "    boom",
        "summary: 3 spans matched, 0 only under ddtrace, 0 only under v2; 4 differences: 1 documented, 3 unexpected",
    ]
    assert comparison.as_json()["summary"] == {
        "matched": 3,
        "only_ddtrace": 0,
        "only_v2": 0,
        "differences": 4,
        "documented": 1,
        "unexpected": 3,
        "ignored": 0,
    }
    ignoring = Comparison(ddtrace, v2, ignore=["meta.ext*", "stdout", "exit code"])
    assert [f.difference.field for f in ignoring.findings] == ["meta.db.application"]
    assert ignoring.summary().endswith("1 difference: 1 documented, 0 unexpected (3 ignored)")


# --------------------------------------------------------------------------- end to end


def _env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "_DD_"))}
    env.update(DD_INSTRUMENTATION_TELEMETRY_ENABLED="false", DD_REMOTE_CONFIGURATION_ENABLED="false")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _compare(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "compare", *args], env=env or _env(), capture_output=True, text=True, timeout=180, cwd=ROOT
    )


PSYCOPG_APP = """
    import sys
    import psycopg
    from ddtrace.trace import tracer

    with tracer.trace("app.main", resource="main") as span:
        with psycopg.connect({dsn!r}) as conn:  # no application name; `with` commits when it ends
            conn.execute("SELECT 1").fetchall()
        if {tag} and "ddtrace_integrations" in sys.modules:  # what only v2's launcher loads
            span.set_tag("side", "v2")
    print("done")
"""


def _app(tmp_path: Path, tag: bool) -> str:
    path = tmp_path / "app.py"
    path.write_text(textwrap.dedent(PSYCOPG_APP.format(dsn=PG_DSN, tag=tag)))
    return str(path)


def test_compare_names_documented_and_unexpected_differences_of_a_real_app(tmp_path: Path) -> None:
    out_json = tmp_path / "compare.json"
    proc = _compare("--json", str(out_json), "--", sys.executable, _app(tmp_path, tag=True))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    section = f'(docs/differences.md, "{PSYCOPG}")'
    assert lines[1:] == [
        "  ddtrace  ddtrace-run               exit 0, 1 trace, 2 spans",
        "  v2       ddtrace-integrations run  exit 0, 1 trace, 3 spans",
        "",
        "trace app.main[main]#0: 3 spans, 3 differences (1 unexpected)",
        "  app.main[main]#0",
        "    meta.side  ddtrace: (absent)  v2: 'v2'  UNEXPECTED",
        "    postgres.query[SELECT 1]#0",
        "      meta.db.application  ddtrace: 'None'  v2: (absent)  documented: ddtrace tags the text \"None\" when the "
        f"connection names no application {section}",
        "    psycopg.connection.commit[psycopg.connection.commit]#0",
        f"      only under v2  documented: the commit made by `with conn:` is traced {section}",
        "summary: 2 spans matched, 0 only under ddtrace, 1 only under v2; 3 differences: 2 documented, 1 unexpected",
    ]
    report = json.loads(out_json.read_text())
    assert [(d["span"], d["field"], d["ddtrace"], d["v2"], d["documented"]) for d in report["differences"]] == [
        ("app.main", "meta.side", None, "v2", None),
        (
            "postgres.query",
            "meta.db.application",
            "None",
            None,
            {"reason": 'ddtrace tags the text "None" when the connection names no application', "section": PSYCOPG},
        ),
        (
            "psycopg.connection.commit",
            "<span>",
            False,
            True,
            {"reason": "the commit made by `with conn:` is traced", "section": PSYCOPG},
        ),
    ]
    assert report["runs"]["ddtrace-run"] == {"exit_code": 0, "traces": 1, "spans": 2}

    ignored = _compare("--ignore", "meta.side", "--", sys.executable, _app(tmp_path, tag=False))
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    assert ignored.stdout.splitlines()[-1].endswith("2 differences: 2 documented, 0 unexpected")


def test_compare_shows_what_the_command_did_differently_and_its_spans_only_one_side_made(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from ddtrace.trace import tracer

            v2 = "ddtrace_integrations" in sys.modules
            with tracer.trace("job.run", resource="nightly", service="jobs"):
                with tracer.trace("job.step", resource="extract"):
                    pass
                if v2:
                    with tracer.trace("job.step", resource="v2 only"):
                        print("v2 was here")
            sys.exit(3 if v2 else 0)
            """
        )
    )
    proc = _compare("--settle", "0.2", "--", sys.executable, str(script))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[4:] == [
        "trace job.run[nightly]#0: 3 spans, 1 difference (1 unexpected)",
        "    job.step[v2 only]#0",
        "      only under v2  UNEXPECTED",
        "the command:",
        "    exit code  ddtrace: 0  v2: 3  UNEXPECTED",
        "    the command printed something else  UNEXPECTED",
        "      --- ddtrace",
        "      +++ v2",
        "      @@ -0,0 +1 @@",
        "      +v2 was here",
        "summary: 2 spans matched, 0 only under ddtrace, 1 only under v2; 3 differences: 0 documented, 3 unexpected",
    ]


class _Agent(BaseHTTPRequestHandler):
    requests: List[str] = []

    def _any(self) -> None:
        _Agent.requests.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_compare_sends_nothing_to_the_configured_agent(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        env = _env(
            DD_TRACE_AGENT_URL=f"http://127.0.0.1:{port}",
            DD_AGENT_HOST="127.0.0.1",
            DD_TRACE_AGENT_PORT=str(port),
            DD_INSTRUMENTATION_TELEMETRY_ENABLED="true",
        )
        proc = _compare("--", sys.executable, _app(tmp_path, tag=False), env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "summary: 2 spans matched" in proc.stdout
    assert _Agent.requests == []


@pytest.mark.parametrize(
    "command, code, message",
    [
        (["no-such-command-xyz"], 127, "command not found: no-such-command-xyz"),
        (
            ["{script}"],
            126,
            "cannot execute {script}: permission denied, the file is not executable; did you mean "
            "`ddtrace-integrations compare -- python {script}`?",
        ),
        ([], 2, "no command given"),
    ],
)
def test_compare_says_why_a_command_cannot_start(tmp_path: Path, command: List[str], code: int, message: str) -> None:
    script = tmp_path / "app.py"
    script.write_text("print('hi')\n")
    script.chmod(0o644)
    proc = _compare("--", *(c.format(script=script) for c in command))
    assert (proc.returncode, proc.stdout) == (code, "")
    assert proc.stderr == f"ddtrace-integrations compare: {message.format(script=script)}\n"
    assert not re.search("Traceback", proc.stderr)


KAFKA_APP = """
    import os
    from confluent_kafka import Consumer, Producer
    from ddtrace.trace import tracer

    topic, servers = os.environ["CMP_TOPIC"], os.environ["CMP_SERVERS"]
    with tracer.trace("app.order", resource="place order"):
        producer = Producer({"bootstrap.servers": servers})
        producer.produce(topic, value=b"order", key=b"o1")
        producer.flush(10)
    consumer = Consumer({"bootstrap.servers": servers, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    with tracer.trace("app.worker", resource="store order"):
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                break
    consumer.close()
"""


def test_compare_labels_a_consumer_linked_instead_of_parented_as_documented(tmp_path: Path) -> None:
    app = tmp_path / "orders.py"
    app.write_text(textwrap.dedent(KAFKA_APP))
    env = _env(
        CMP_TOPIC=f"compare-{uuid.uuid4().hex[:12]}",
        CMP_SERVERS=os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        DD_KAFKA_PROPAGATION_ENABLED="true",
        DD_KAFKA_EMPTY_POLL_ENABLED="false",
    )
    proc = _compare("--", sys.executable, str(app), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    linked = (
        "documented: a consumer span is linked to its producers, not made a producer's child "
        f'(docs/differences.md, "{KAFKA}")'
    )
    assert proc.stdout.splitlines()[4:] == [
        "trace app.order[place order]#0: 3 spans, 1 difference (0 unexpected)",
        "      kafka.consume[kafka.consume]#0",
        f"        only under ddtrace  {linked}",
        "trace app.worker[store order]#0: 2 spans, 1 difference (0 unexpected)",
        "    kafka.consume[kafka.consume]#0",
        f"      only under v2  {linked}",
        "summary: 3 spans matched, 1 only under ddtrace, 1 only under v2; 2 differences: 2 documented, 0 unexpected",
    ]
