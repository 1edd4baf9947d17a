"""What ddtrace's own integrations and the v2 integrations send for the same command, compared span by span.

``ddtrace-integrations compare -- python app.py`` runs the command under ``ddtrace-run`` and under
``ddtrace-integrations run``, each sending to its own in-process receiver (the viewer's: nothing reaches a real
agent), and compares the spans field by field. Differences that ``DOCUMENTED`` lists (the reviewed ones of
``docs/differences.md``) are named as such, every other one is unexpected. The parity tests
(``tests/helpers.assert_parity``) compare through ``normalize``, ``differences`` and ``documented`` too.
"""

from __future__ import annotations

import errno
import fnmatch
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Mapping
from typing import NamedTuple
from typing import Optional
from typing import Sequence
from typing import Tuple

from ddtrace_integrations.viewer._msgpack import unpackb
from ddtrace_integrations.viewer.server import Display
from ddtrace_integrations.viewer.server import Viewer

Span = Dict[str, Any]
Row = Dict[str, Any]

# --- normalization: each span as its tree position and the fields two runs can share ---

# Tags that differ between any two runs of the same program: ids, the process, the stack's line numbers.
VOLATILE_META = {"runtime-id", "_dd.p.tid", "error.stack", "_dd.tags.process"}
VOLATILE_METRICS = {"process_id"}
SPAN_FIELDS = ("name", "service", "resource", "type", "error", "span_links")


def normalize(traces: Iterable[List[Span]]) -> List[Row]:
    """Each span as a row (tree position, name, service, resource, type, error, meta, metrics), ids and timings
    dropped, sorted by position.

    A span's position (``path``) is its chain from the root, ``/root-name[resource]#i/child-name[resource]#j``,
    numbered in start order among the roots of every trace, or among its siblings, of the same name and resource:
    two runs line up, and a span only one run made does not shift the others. A span
    link is kept as the position of the span it points to (``meta._dd.span_links``). Each row also says which
    trace it belongs to (``trace``, its root's position) and its ``depth``, for reports.
    """
    rows: List[Row] = []
    paths: Dict[Any, str] = {}  # span id -> path, to name what a span links to
    roots: Dict[str, int] = {}
    for trace in sorted((t for t in traces if t), key=lambda t: min(s["start"] for s in t)):
        by_id = {s["span_id"]: s for s in trace}
        children: Dict[Any, List[Span]] = {}
        for s in sorted(trace, key=lambda s: s["start"]):
            parent = s.get("parent_id") if s.get("parent_id") in by_id else None
            children.setdefault(parent, []).append(s)

        def walk(parent: Any, prefix: str, root: str, depth: int, children: Dict[Any, List[Span]] = children) -> None:
            seen = roots if parent is None else {}
            for s in children.get(parent, []):
                path = f"{prefix}/{s['name']}[{s.get('resource')}]"
                seen[path] = seen.get(path, -1) + 1
                path += f"#{seen[path]}"
                meta = {k: v for k, v in (s.get("meta") or {}).items() if k not in VOLATILE_META}
                if "error.stack" in (s.get("meta") or {}):
                    meta["error.stack"] = "<present>"
                if "error.message" in meta:  # a server echoing a DBM comment echoes this run's ids
                    meta["error.message"] = re.sub(r"[0-9a-f]{10,}", "<id>", meta["error.message"])
                metrics = {k: v for k, v in (s.get("metrics") or {}).items() if k not in VOLATILE_METRICS}
                paths[s["span_id"]] = path
                rows.append(
                    {
                        "links": s.get("span_links") or json.loads((s.get("meta") or {}).get("_dd.span_links", "[]")),
                        "path": path,
                        "trace": root or path,
                        "depth": depth,
                        "name": s["name"],
                        "service": s.get("service"),
                        "resource": s.get("resource"),
                        "type": s.get("type"),
                        "error": s.get("error", 0),
                        "meta": meta,
                        "metrics": metrics,
                        "span_links": len(s.get("span_links") or []),
                    }
                )
                walk(s["span_id"], path, root or path, depth + 1)

        walk(None, "", "", 0)
    for row in rows:
        targets = [
            paths.get(int(str(link["span_id"]), 16) if isinstance(link["span_id"], str) else link["span_id"])
            for link in row.pop("links")
        ]
        if targets:
            row["meta"]["_dd.span_links"] = sorted(str(t) for t in targets)
    return sorted(rows, key=lambda r: r["path"])


class Difference(NamedTuple):
    """One field of one span that differs: ``field`` is a span field, ``meta.<tag>``, ``metrics.<tag>``, or
    ``<span>`` (the span exists under one run only: the values say whether it exists under each)."""

    path: str
    field: str
    ddtrace: Any
    v2: Any


def differences(expected: List[Row], actual: List[Row]) -> List[Difference]:
    """Every field that differs between ddtrace's rows (``expected``) and v2's (``actual``), matched by path."""
    out: List[Difference] = []
    left = {r["path"]: r for r in expected}
    right = {r["path"]: r for r in actual}
    for path in sorted(set(left) | set(right)):
        a, b = left.get(path), right.get(path)
        if a is None or b is None:
            out.append(Difference(path, "<span>", a is not None, b is not None))
            continue
        for key in SPAN_FIELDS:
            if a[key] != b[key]:
                out.append(Difference(path, key, a[key], b[key]))
        for section in ("meta", "metrics"):
            for tag in sorted(set(a[section]) | set(b[section])):
                if a[section].get(tag) != b[section].get(tag):
                    out.append(Difference(path, f"{section}.{tag}", a[section].get(tag), b[section].get(tag)))
    return out


STREAMS = "/[data streams]"


def data_streams(payloads: Iterable[bytes]) -> Dict[str, Any]:
    """What a run's Data Streams processor sent (``/v0.1/pipeline_stats`` bodies): every checkpoint's pathway
    (edge tags, hash, parent hash) and the latest offset of each backlog (produce, commit); payload sizes and
    latencies are left out (sketches of timings)."""
    pathways: set = set()
    offsets: Dict[Tuple[str, ...], int] = {}
    for body in payloads:
        try:
            payload = unpackb(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
            buckets = [(b.get("Stats") or (), b.get("Backlogs") or ()) for b in payload.get("Stats") or ()]
            found = [(tuple(s["EdgeTags"]), s["Hash"], s["ParentHash"]) for stats, _ in buckets for s in stats]
            latest = [(tuple(sorted(b["Tags"])), b["Value"]) for _, backlogs in buckets for b in backlogs]
        except (OSError, ValueError, LookupError, TypeError, AttributeError):  # not a payload we can read
            continue
        pathways.update(found)
        for key, value in latest:
            offsets[key] = max(value, offsets.get(key, value))
    return {"pathways": sorted(pathways), "offsets": offsets}


def stream_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> List[Difference]:
    """Data Streams differences (``data_streams`` of each run): a pathway only one run has, an offset that
    differs (its field names the backlog)."""
    ours, theirs = set(expected["pathways"]), set(actual["pathways"])
    found = [Difference(STREAMS, "pathway", p, None) for p in sorted(ours - theirs)]
    found += [Difference(STREAMS, "pathway", None, p) for p in sorted(theirs - ours)]
    offsets = (expected["offsets"], actual["offsets"])
    for key in sorted(set(offsets[0]) | set(offsets[1])):
        if offsets[0].get(key) != offsets[1].get(key):
            found.append(Difference(STREAMS, "offset " + ",".join(key), offsets[0].get(key), offsets[1].get(key)))
    return found


# --- the reviewed differences (docs/differences.md), machine-readable ---


class Documented(NamedTuple):
    """A reviewed difference: the fields it concerns, under what conditions, why, and its section of
    docs/differences.md. An empty condition matches anything; ``ddtrace``/``v2`` list the values each run may
    have (None: the tag is absent; for ``<span>``, whether the span exists)."""

    fields: Tuple[str, ...]
    reason: str
    section: str
    spans: Tuple[str, ...] = ()  # span name patterns (fnmatch)
    components: Tuple[str, ...] = ()  # the span's ``component`` tag
    ddtrace: Tuple[Any, ...] = ()
    v2: Tuple[Any, ...] = ()
    ddtrace_like: str = ""  # an fnmatch pattern ddtrace's value matches (a text one)

    def matches(self, difference: Difference, row: Optional[Row]) -> bool:
        if difference.field not in self.fields:
            return False
        if self.ddtrace_like and not fnmatch.fnmatchcase(str(difference.ddtrace), self.ddtrace_like):
            return False
        if self.ddtrace and difference.ddtrace not in self.ddtrace:
            return False
        if self.v2 and difference.v2 not in self.v2:
            return False
        name = row["name"] if row else ""
        if self.spans and not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.spans):
            return False
        return not self.components or (row is not None and row["meta"].get("component") in self.components)


ASYNCPG = "asyncpg"
PSYCOPG = "psycopg (psycopg 3, sync and async, and psycopg2)"
MYSQL = "mysql-connector-python, PyMySQL, mysqlclient"
SQLITE = "sqlite3"
DJANGO = "Django"
REQUESTS = "requests"
REDIS = "redis"
KAFKA = "Kafka (confluent-kafka, aiokafka, kafka-python)"
SHARED = "Shared behaviour"
CONNECTION_TAGS = ("meta.out.host", "meta.server.address", "metrics.network.destination.port", "meta.db.name")
CONSUMER_SPANS = ("kafka.consume", "kafka.process", "kafka.receive")
GATEWAY_SPANS = ("aws.apigateway", "aws.httpapi", "azure.apim")

DOCUMENTED: Tuple[Documented, ...] = (
    Documented(
        ("meta._dd.dbm_trace_injected",),
        "a prepared statement carries no DBM comment, so it is not tagged as injected",
        ASYNCPG,
        components=("asyncpg",),
        ddtrace=("true",),
        v2=(None,),
    ),
    Documented(
        (*CONNECTION_TAGS, "meta.db.user"),
        "connection tags on pool connections too",
        ASYNCPG,
        components=("asyncpg",),
        ddtrace=(None,),
    ),
    Documented(
        ("meta.db.application",),
        'ddtrace tags the text "None" when the connection names no application',
        PSYCOPG,
        ddtrace=("None",),
        v2=(None,),
    ),
    Documented(
        ("meta._dd.dbm_trace_injected",),
        "a prepared statement gets the service DBM comment only, not tagged as injected",
        PSYCOPG,
        components=("psycopg",),
        ddtrace=("true",),
        v2=(None,),
    ),
    Documented(
        ("<span>",),
        "the commit made by `with conn:` is traced",
        PSYCOPG,
        spans=("psycopg.connection.commit",),
        ddtrace=(False,),
    ),
    Documented(
        ("meta._dd.dbm_trace_injected",),
        "a prepared cursor gets the service DBM comment only, not tagged as injected",
        MYSQL,
        components=("mysql",),
        ddtrace=("true",),
        v2=(None,),
    ),
    Documented(
        ("meta.db.system",),
        "the connect span is a database span like the others and names its db.system",
        MYSQL,
        spans=("*.connect",),
        ddtrace=(None,),
    ),
    Documented(
        ("meta.db.name",),
        "mysqlclient connected with database= gets db.name",
        MYSQL,
        components=("mysqldb",),
        ddtrace=(None,),
    ),
    Documented(
        ("<span>",),
        "executescript and a connection's executemany are traced",
        SQLITE,
        spans=("sqlite.query",),
        components=("sqlite",),
        ddtrace=(False,),
    ),
    Documented(
        ("meta.out.host", "meta.peer.service", "meta._dd.peer.service.source"),
        "ddtrace cuts an IPv6 host at its first colon, leaving it empty",
        REQUESTS,
        components=("requests",),
        ddtrace=("", None),
    ),
    Documented(
        ("meta.http.url",),
        "a URL's fragment is never tagged (it is not sent, and may hold a token)",
        REQUESTS,
        components=("requests",),
        ddtrace_like="*#*",
    ),
    Documented(
        ("meta.redis.raw_command", "meta.redis.command"),
        "a password (AUTH, HELLO ... AUTH, MIGRATE ... AUTH) is shown as ?",
        REDIS,
        components=("redis",),
        ddtrace_like="*AUTH *",
    ),
    Documented(
        ("<span>",),
        "a span whose resource differs, paired as two: a cluster pipeline's names its commands (ddtrace reads "
        "redis-py >= 6's from a list that stays empty), a whole command shows a password as ?",
        REDIS,
        spans=("redis.command",),
        components=("redis",),
    ),
    Documented(
        ("meta.django.db.alias", "meta.django.db.vendor"),
        "a database driver's span is left as its own integration made it",
        DJANGO,
        v2=(None,),
    ),
    Documented(
        ("meta.http.status_code",),
        "the request's status is copied to the gateway span under ASGI too",
        SHARED,
        spans=GATEWAY_SPANS,
        ddtrace=(None,),
    ),
    Documented(
        ("meta.messaging.message.id", "metrics.messaging.kafka.offset", "metrics.messaging.kafka.partition"),
        "added: the message's id, partition and offset",
        KAFKA,
        ddtrace=(None,),
    ),
    Documented(
        ("meta.kafka.message_key",),
        'ddtrace tags the text "None" for a message without a key',
        KAFKA,
        ddtrace=("None",),
        v2=(None,),
    ),
    Documented(
        ("meta.kafka.message_key",),
        "ddtrace reads the key only when it is passed by keyword",
        KAFKA,
        ddtrace=("",),
    ),
    Documented(
        ("meta.kafka.topic", "meta.messaging.destination.name"),
        'ddtrace tags the text "None" on an empty getmany',
        KAFKA,
        ddtrace=("None",),
        v2=(None,),
    ),
    Documented(
        ("metrics.kafka.message_offset",),
        "ddtrace reports offset 0 as -1",
        KAFKA,
        ddtrace=(-1,),
        v2=(0,),
    ),
    Documented(
        ("<span>",),
        "a consumer span is linked to its producers, not made a producer's child",
        KAFKA,
        spans=CONSUMER_SPANS,
    ),
    Documented(
        ("pathway",),
        "ddtrace cannot put its pathway header into a list of headers",
        KAFKA,
    ),
)


def documented(difference: Difference, expected: Mapping[str, Row], actual: Mapping[str, Row]) -> Optional[Documented]:
    """The reviewed difference that explains ``difference`` (rows by path, ddtrace's then v2's), if any."""
    row = expected.get(difference.path) or actual.get(difference.path)
    return next((entry for entry in DOCUMENTED if entry.matches(difference, row)), None)


# --- running a command twice, each run against its own receiver ---

LAUNCHERS = ("ddtrace-run", "ddtrace-integrations run")
SIDES = ("ddtrace", "v2")  # what each run is called in reports
# Where the child could send to an agent or to Datadog by itself: replaced by the receiver, or dropped.
_AGENT_SETTINGS = (
    "DD_AGENT_HOST",
    "DD_TRACE_AGENT_HOSTNAME",
    "DD_TRACE_AGENT_PORT",
    "DD_TRACE_AGENT_URL",
    "DD_DOGSTATSD_HOST",
    "DD_DOGSTATSD_PORT",
    "DD_DOGSTATSD_URL",
    "DD_DOGSTATSD_SOCKET",
    "DD_API_KEY",
    "DD_APP_KEY",
)


class CannotStart(Exception):
    """The command (or ddtrace-run) cannot be started: a message, and the exit code ``run`` gives."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Run(NamedTuple):
    """One run of the command: how it ended, what it printed, and the traces its receiver got."""

    launcher: str
    returncode: int
    stdout: str
    stderr: str
    traces: List[List[Span]]
    streams: Dict[str, Any]  # ``data_streams`` of what it sent


class _Collector(Display):
    """A display that keeps each trace (the latest, fullest version of it) instead of showing it."""

    def __init__(self) -> None:
        super().__init__(None)
        self.traces: Dict[int, List[Span]] = {}

    def show(self, spans: List[Dict], shown_before: int) -> None:
        if spans:
            with self.lock:
                self.traces[spans[0]["trace_id"]] = list(spans)


def child_env(environ: Mapping[str, str], agent_url: str, statsd_url: str) -> Dict[str, str]:
    """The command's environment: the user's, with every way to an agent or to Datadog replaced by ours."""
    env = {k: v for k, v in environ.items() if k not in _AGENT_SETTINGS}
    env["DD_TRACE_AGENT_URL"] = agent_url
    env["DD_DOGSTATSD_URL"] = statsd_url
    return env


def resolve(command: Sequence[str]) -> Tuple[str, str]:
    """(the command's executable, ddtrace-run's), or CannotStart saying why, as ``run`` says it."""
    from ddtrace_integrations.cli import CANNOT_EXECUTE
    from ddtrace_integrations.cli import NOT_FOUND
    from ddtrace_integrations.cli import USAGE_ERROR
    from ddtrace_integrations.cli import _exec_failure

    if not command:
        raise CannotStart("no command given", USAGE_ERROR)
    name = command[0]
    executable = name if os.path.isfile(name) else shutil.which(name)
    if executable is None:
        if os.sep in name and os.path.isdir(name):
            raise CannotStart(f"cannot execute {name}: it is a directory", CANNOT_EXECUTE)
        raise CannotStart(f"command not found: {name}", NOT_FOUND)
    if not os.access(executable, os.X_OK):
        denied = PermissionError(errno.EACCES, "Permission denied")
        raise CannotStart(_exec_failure(name, executable, denied, "compare --"), CANNOT_EXECUTE)
    beside = os.path.join(os.path.dirname(sys.executable), "ddtrace-run")
    ddtrace_run = beside if os.path.isfile(beside) else shutil.which("ddtrace-run")
    if ddtrace_run is None:
        raise CannotStart("ddtrace-run not found: is ddtrace installed in this environment?", NOT_FOUND)
    return executable, ddtrace_run


def run_traced(
    argv: List[str],
    launcher: str,
    settle: float = 1.0,
    timeout: Optional[float] = None,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
) -> Run:
    """Run ``argv`` (a launcher and the command; its environment ``env``, by default this one's) with its
    traces and Data Streams payloads sent to a receiver of its own, answering as an agent; what it sent, once it
    ended and no request came for ``settle`` seconds."""
    collector = _Collector()
    viewer = Viewer(collector, keep_streams=True).start()
    statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # metrics land here, unread
    try:
        statsd.bind(("127.0.0.1", 0))
        child = child_env(os.environ if env is None else env, viewer.url, f"udp://127.0.0.1:{statsd.getsockname()[1]}")
        proc = subprocess.run(
            argv, env=child, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout
        )
        viewer.drain(quiet=settle, timeout=settle + 10)
    finally:
        viewer.close()
        statsd.close()
    traces = [collector.traces[k] for k in sorted(collector.traces)]
    return Run(launcher, proc.returncode, proc.stdout, proc.stderr, traces, data_streams(viewer.streams))


def run_both(command: Sequence[str], settle: float = 1.0, timeout: Optional[float] = None) -> Tuple[Run, Run]:
    """The command under ddtrace-run, then under ``ddtrace-integrations run``."""
    executable, ddtrace_run = resolve(command)
    args = list(command[1:])
    ddtrace = run_traced([ddtrace_run, executable, *args], LAUNCHERS[0], settle, timeout)
    v2_argv = [sys.executable, "-m", "ddtrace_integrations", "run", executable, *args]
    return ddtrace, run_traced(v2_argv, LAUNCHERS[1], settle, timeout)


# --- the comparison and its report ---

PROCESS = "/[the command]"


class Finding(NamedTuple):
    difference: Difference
    documented: Optional[Documented]


class Comparison:
    """Two runs compared: the rows of each, and every difference found, each labelled."""

    def __init__(self, ddtrace: Run, v2: Run, ignore: Sequence[str] = ()) -> None:
        self.runs = (ddtrace, v2)
        self.expected, self.actual = normalize(ddtrace.traces), normalize(v2.traces)
        self.by_path = ({r["path"]: r for r in self.expected}, {r["path"]: r for r in self.actual})
        found = differences(self.expected, self.actual)
        if ddtrace.returncode != v2.returncode:
            found.append(Difference(PROCESS, "exit code", ddtrace.returncode, v2.returncode))
        if ddtrace.stdout != v2.stdout:
            found.append(Difference(PROCESS, "stdout", ddtrace.stdout, v2.stdout))
        found += stream_differences(ddtrace.streams, v2.streams)
        kept = [d for d in found if not any(fnmatch.fnmatchcase(d.field, p) for p in ignore)]
        self.ignored = len(found) - len(kept)
        self.findings = [Finding(d, documented(d, *self.by_path)) for d in kept]

    @property
    def matched(self) -> int:
        return len(set(self.by_path[0]) & set(self.by_path[1]))

    @property
    def unexpected(self) -> List[Finding]:
        return [f for f in self.findings if f.documented is None]

    def only(self, side: int) -> int:
        return len(set(self.by_path[side]) - set(self.by_path[1 - side]))

    def summary(self) -> str:
        documented = len(self.findings) - len(self.unexpected)
        text = (
            f"{self.matched} spans matched, {self.only(0)} only under {SIDES[0]}, {self.only(1)} only under "
            f"{SIDES[1]}; {_count(len(self.findings), 'difference')}: {documented} documented, "
            f"{len(self.unexpected)} unexpected"
        )
        return text + (f" ({self.ignored} ignored)" if self.ignored else "")

    def as_json(self) -> Dict[str, Any]:
        def finding(f: Finding) -> Dict[str, Any]:
            d, entry = f.difference, f.documented
            row = self.by_path[0].get(d.path) or self.by_path[1].get(d.path)
            return {
                "trace": row["trace"] if row else None,
                "path": d.path,
                "span": row["name"] if row else None,
                "field": d.field,
                "ddtrace": d.ddtrace,
                "v2": d.v2,
                "documented": {"reason": entry.reason, "section": entry.section} if entry else None,
            }

        return {
            "runs": {
                run.launcher: {"exit_code": run.returncode, "traces": len(run.traces), "spans": len(rows)}
                for run, rows in zip(self.runs, (self.expected, self.actual))
            },
            "differences": [finding(f) for f in self.findings],
            "summary": {
                "matched": self.matched,
                "only_ddtrace": self.only(0),
                "only_v2": self.only(1),
                "differences": len(self.findings),
                "documented": len(self.findings) - len(self.unexpected),
                "unexpected": len(self.unexpected),
                "ignored": self.ignored,
            },
        }


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _value(value: Any) -> str:
    return "(absent)" if value is None else _short(repr(value), 100)


def _natural(path: str) -> List[Any]:
    """A sort key in which ``#10`` comes after ``#9``: the text split into words and whole numbers."""
    parts: List[Any] = re.split(r"(\d+)", path)
    parts[1::2] = [int(p) for p in parts[1::2]]
    return parts


def _label(f: Finding) -> str:
    entry = f.documented
    if entry is None:
        return "UNEXPECTED"
    return f'documented: {entry.reason} (docs/differences.md, "{entry.section}")'


def _finding_lines(f: Finding, indent: str) -> List[str]:
    d = f.difference
    if d.field == "<span>":
        return [f"{indent}only under {SIDES[0] if d.ddtrace else SIDES[1]}  {_label(f)}"]
    if d.field == "stdout":
        return [f"{indent}the command printed something else  {_label(f)}", *_output_diff(d.ddtrace, d.v2, indent)]
    return [f"{indent}{d.field}  {SIDES[0]}: {_value(d.ddtrace)}  {SIDES[1]}: {_value(d.v2)}  {_label(f)}"]


def _output_diff(left: str, right: str, indent: str, limit: int = 12) -> List[str]:
    import difflib

    lines = list(difflib.unified_diff(left.splitlines(), right.splitlines(), SIDES[0], SIDES[1], lineterm=""))
    return [indent + "  " + line for line in lines[:limit]] + ([indent + "  \u2026"] if len(lines) > limit else [])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def render(comparison: Comparison, command: Sequence[str]) -> str:
    """The report: each run, each trace (differing spans in tree order, each difference labelled), a summary."""
    out = [f"compare: {' '.join(command)}"]
    for side, run, rows in zip(SIDES, comparison.runs, (comparison.expected, comparison.actual)):
        out.append(
            f"  {side:<8} {run.launcher:<25} exit {run.returncode}, {_count(len(run.traces), 'trace')}, "
            f"{_count(len(rows), 'span')}"
        )
    out.append("")
    by_path: Dict[str, List[Finding]] = {}
    for f in comparison.findings:
        by_path.setdefault(f.difference.path, []).append(f)
    every = {**comparison.by_path[1], **comparison.by_path[0]}
    traces: Dict[str, List[Row]] = {}
    for row in sorted(every.values(), key=lambda r: _natural(r["path"])):
        traces.setdefault(row["trace"], []).append(row)
    for trace, members in traces.items():
        spans = [r for r in members if r["path"] in by_path]
        count = sum(len(by_path[r["path"]]) for r in spans)
        unexpected = sum(1 for r in spans for f in by_path[r["path"]] if f.documented is None)
        head = f"trace {trace.lstrip('/')}: {_count(len(members), 'span')}"
        if not count:
            out.append(f"{head}, no differences")
            continue
        out.append(f"{head}, {_count(count, 'difference')} ({unexpected} unexpected)")
        for row in spans:
            position = row["path"].rsplit("#", 1)[1]
            out.append(f"  {'  ' * row['depth']}{row['name']}[{_short(str(row['resource']), 80)}]#{position}")
            for f in by_path[row["path"]]:
                out.extend(_finding_lines(f, "    " + "  " * row["depth"]))
    for path, title in ((STREAMS, "data streams:"), (PROCESS, "the command:")):
        if path in by_path:
            out.append(title)
            for f in by_path[path]:
                out.extend(_finding_lines(f, "    "))
    for run in comparison.runs:
        if run.returncode != 0 and run.stderr.strip():
            tail = run.stderr.strip().splitlines()[-5:]
            out.append(f"{run.launcher}: the command exited {run.returncode}; the end of its stderr:")
            out.extend("    " + line for line in tail)
    out.append(f"summary: {comparison.summary()}")
    return "\n".join(out) + "\n"


def compare_command(
    command: Sequence[str], json_path: Optional[str] = None, settle: float = 1.0, ignore: Sequence[str] = ()
) -> int:
    """``ddtrace-integrations compare``: run, compare, print the report; 0 when nothing is unexpected, else 1
    (``run``'s exit codes when the command cannot be started)."""
    from ddtrace_integrations.cli import PROG

    try:
        ddtrace, v2 = run_both(command, settle)
    except CannotStart as exc:
        sys.stderr.write(f"{PROG} compare: {exc}\n")
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG} compare: interrupted\n")
        return 130
    comparison = Comparison(ddtrace, v2, ignore)
    sys.stdout.write(render(comparison, command))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as file:
            json.dump(comparison.as_json(), file, indent=2, default=str)
            file.write("\n")
    return 1 if comparison.unexpected else 0
