"""Cost of tracing one DB-API ``cursor.execute("SELECT 1")`` against the real local servers, in one process.

Run: ``python benchmarks/bench_dbapi.py`` (about 40 s) or ``--quick`` (a few seconds, a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

Configurations, each a loop of ``N`` calls of ``cursor.execute("SELECT 1")`` on a cursor made once:

psycopg2 against PostgreSQL (``DDI_PG_DSN``, default postgresql://postgres@127.0.0.1:5432/test):
  pg_untraced      a plain psycopg2 connection, opened before anything was patched
  pg_bare_span     ``with tracer.trace(...)`` around the plain cursor call, five tags set by hand
  pg_ddtrace       ddtrace's own integration: a connection opened after ``ddtrace.patch(psycopg=True)``
  pg_v2            v2: a connection opened after ``ddtrace_integrations.patch(psycopg=True)``
  pg_v2_disabled   the same v2 connection with the psycopg plugins shut down (wrappers stay, nobody listens)

PyMySQL against MariaDB (``DDI_MYSQL_HOST``/``DDI_MYSQL_PORT``, user root, database test), the same five
as ``my_*``. Skipped with a note when PyMySQL or the server is unavailable, or with ``--no-mysql``.
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import argparse
import contextlib
import gc
import importlib.metadata
import random
import statistics
import sys
import time
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

import ddtrace
import psycopg2
import psycopg2.extensions
from _harness import NullWriter
from _harness import install_null_writer
from ddtrace.contrib.dbapi import TracedConnection
from ddtrace.internal import core
from ddtrace.trace import tracer

import ddtrace_integrations
from ddtrace_integrations import tracing_plugins
from ddtrace_integrations.dbapi import EXECUTE
from ddtrace_integrations.dbapi import FETCH

QUERY = "SELECT 1"
PG_DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_ARGS: Dict[str, Any] = {
    "host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("DDI_MYSQL_PORT", "3306")),
    "user": "root",
    "password": "",
    "database": "test",
}
PLUGINS = {
    "pg": "ddtrace_integrations.tracing_plugins.contrib.psycopg",
    "my": "ddtrace_integrations.tracing_plugins.contrib.pymysql",
}


# --- set-up: the order is what keeps the three kinds of connection apart ---


def import_pymysql(enabled: bool) -> Tuple[Any, str]:
    """PyMySQL and one probe connection, or None and why not."""
    if not enabled:
        return None, "--no-mysql"
    try:
        import pymysql
        import pymysql.cursors

        pymysql.connect(**MYSQL_ARGS).close()
    except Exception as e:
        return None, f"{type(e).__name__}: {e}"
    return pymysql, ""


def untraced_cursor_class(pymysql: Any) -> type:
    """v2 wraps PyMySQL's cursor methods in place, so every PyMySQL cursor made later is traced. This subclass,
    made before v2 patches, holds the original functions themselves: the same code, never wrapped."""
    base = pymysql.cursors.Cursor
    namespace = {m: vars(base)[m] for m in EXECUTE + FETCH if m in vars(base)}
    return type("UntracedCursor", (base,), namespace)


class Connections:
    """Opens, in order: plain connections, then ddtrace's (after ``ddtrace.patch``), then v2's (after
    ``ddtrace_integrations.patch``, which claims the libraries and so unpatches ddtrace's integrations).
    Connections keep the wrapping they were created with."""

    def __init__(self, pymysql: Any) -> None:
        ext = psycopg2.extensions
        self.pymysql = pymysql
        self.pg_raw = psycopg2.connect(PG_DSN)
        if pymysql is not None:
            self.untraced_cursor = untraced_cursor_class(pymysql)
            self.my_raw = pymysql.connect(**MYSQL_ARGS)

        ddtrace.patch(psycopg=True, pymysql=pymysql is not None)
        self.pg_dd = psycopg2.connect(PG_DSN)
        if pymysql is not None:
            self.my_dd = pymysql.connect(**MYSQL_ARGS)

        ddtrace_integrations.patch(psycopg=True, pymysql=pymysql is not None)
        self.pg_v2 = psycopg2.connect(PG_DSN)
        if pymysql is not None:
            self.my_v2 = pymysql.connect(**MYSQL_ARGS)

        problems = []
        if type(self.pg_raw) is not ext.connection:
            problems.append(f"pg_raw is {type(self.pg_raw)}")
        if not isinstance(self.pg_dd, TracedConnection):
            problems.append(f"pg_dd is {type(self.pg_dd)}, not ddtrace's TracedConnection")
        if isinstance(self.pg_v2, TracedConnection) or type(self.pg_v2) is ext.connection:
            problems.append(f"pg_v2 is {type(self.pg_v2)}, not v2's traced subclass")
        if getattr(psycopg2, "_datadog_patch", False):
            problems.append("ddtrace's psycopg integration is still patched after v2 claimed it")
        if pymysql is not None:
            if not isinstance(self.my_dd, TracedConnection):
                problems.append(f"my_dd is {type(self.my_dd)}, not ddtrace's TracedConnection")
            if getattr(pymysql, "_datadog_patch", False):
                problems.append("ddtrace's pymysql integration is still patched after v2 claimed it")
        if problems:
            raise SystemExit("set-up is wrong: " + "; ".join(problems))

    def close(self) -> None:
        for name in ("pg_raw", "pg_dd", "pg_v2", "my_raw", "my_dd", "my_v2"):
            with contextlib.suppress(Exception):
                getattr(self, name).close()


# --- the measured loops: each makes the call the way application code would, N times ---


def cursor_loop(cursor: Any) -> Callable[[int], None]:
    def loop(n: int) -> None:
        cur, q = cursor, QUERY
        for _ in range(n):
            cur.execute(q)

    return loop


def bare_span_loop(cursor: Any, name: str, service: str, system: str, host: Any, db: Any) -> Callable[[int], None]:
    trace = tracer.trace

    def loop(n: int) -> None:
        cur, q = cursor, QUERY
        for _ in range(n):
            with trace(name, service=service, resource=q, span_type="sql") as span:
                span.set_tag("component", service)
                span.set_tag("span.kind", "client")
                span.set_tag("db.system", system)
                span.set_tag("out.host", host)
                span.set_tag("db.name", db)
                cur.execute(q)

    return loop


def make_loops(conns: Connections) -> Dict[str, Callable[[int], None]]:
    def empty(n: int) -> None:
        for _ in range(n):
            pass

    pg_v2 = cursor_loop(conns.pg_v2.cursor())
    pg_params = conns.pg_raw.get_dsn_parameters()
    loops = {
        "(empty loop)": empty,
        "pg_untraced": cursor_loop(conns.pg_raw.cursor()),
        "pg_bare_span": bare_span_loop(
            conns.pg_raw.cursor(),
            "postgres.query",
            "postgres",
            "postgresql",
            pg_params.get("host"),
            pg_params.get("dbname"),
        ),
        "pg_ddtrace": cursor_loop(conns.pg_dd.cursor()),
        "pg_v2": pg_v2,
        "pg_v2_disabled": pg_v2,  # same code and cursor, nobody listening
    }
    if conns.pymysql is not None:
        untraced = conns.untraced_cursor
        my_v2 = cursor_loop(conns.my_v2.cursor())
        loops.update(
            {
                "my_untraced": cursor_loop(conns.my_raw.cursor(untraced)),
                "my_bare_span": bare_span_loop(
                    conns.my_raw.cursor(untraced),
                    "pymysql.query",
                    "pymysql",
                    "mysql",
                    MYSQL_ARGS["host"],
                    MYSQL_ARGS["database"],
                ),
                # ddtrace's proxy around a cursor whose methods v2 did not wrap
                "my_ddtrace": cursor_loop(conns.my_dd.cursor(untraced)),
                "my_v2": my_v2,
                "my_v2_disabled": my_v2,
            }
        )
    return loops


def baseline(name: str) -> Optional[str]:
    """What a configuration is measured against (overhead = its median - its baseline's median)."""
    if name.startswith("(") or name.endswith("_untraced"):
        return None
    return name.split("_", 1)[0] + "_untraced"


def set_listeners(name: str) -> None:
    """v2's plugins listen in every configuration but the ``*_v2_disabled`` ones."""
    for prefix, module in PLUGINS.items():
        if name == f"{prefix}_v2_disabled":
            tracing_plugins.shutdown(module)
        else:  # idempotent; harmless for a driver that is not patched (its events never fire)
            tracing_plugins.initialize(module)


# --- timing: wall clock (perf_counter_ns) and this thread's CPU time (thread_time_ns) for the same calls ---

Samples = Dict[str, Dict[str, List[float]]]  # clock ("wall", "cpu") -> configuration -> per-call ns per round


def timed(loop: Callable[[int], None], n: int) -> Tuple[int, int]:
    gc.collect()
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    loop(n)
    return time.perf_counter_ns() - wall, time.thread_time_ns() - cpu


def calibrate(loop: Callable[[int], None], round_s: float, warmup_s: float) -> int:
    """Warm the loop up, then pick N so that one round of N calls lasts about ``round_s``."""
    n = 16
    while True:
        elapsed, _ = timed(loop, n)
        if elapsed >= warmup_s * 1e9 or n >= 1 << 26:
            break
        n *= 2
    per_call = max(elapsed / n, 1.0)
    return max(50, int(round_s * 1e9 / per_call))


def measure(
    loops: Dict[str, Callable[[int], None]], writer: NullWriter, rounds: int, round_s: float, warmup_s: float
) -> Tuple[Samples, Dict[str, float]]:
    """Interleaved rounds (each round times every configuration once), so drift hits all of them alike. The order
    is shuffled in each round (fixed seed), so no configuration always runs right after the same one."""
    sizes: Dict[str, int] = {}
    for name, loop in loops.items():
        set_listeners(name)
        sizes[name] = calibrate(loop, round_s, warmup_s)
    samples: Samples = {clock: {name: [] for name in loops} for clock in ("wall", "cpu")}
    spans: Dict[str, int] = dict.fromkeys(loops, 0)
    order, shuffle = list(loops), random.Random(0).shuffle
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            loop = loops[name]
            set_listeners(name)
            before = writer.spans
            wall, cpu = timed(loop, sizes[name])
            samples["wall"][name].append(wall / sizes[name])
            samples["cpu"][name].append(cpu / sizes[name])
            spans[name] += writer.spans - before
    spans_per_call = {name: spans[name] / (sizes[name] * rounds) for name in loops}
    return samples, spans_per_call


# --- what each configuration produces, checked once before timing ---


def describe_spans(loops: Dict[str, Callable[[int], None]], writer: NullWriter) -> None:
    print("Span produced by one call (checked before timing):")
    seen: Dict[str, Any] = {}
    for name, loop in loops.items():
        set_listeners(name)
        before = writer.spans
        loop(1)
        made = writer.spans - before
        span = seen[name] = writer.last[0] if made else None
        if span is None:
            print(f"  {name:<15} no span")
            continue
        tags, metrics = span.get_tags(), span.get_metrics()
        print(
            f"  {name:<15} {made} span: {span.name} service={span.service} resource={span.resource!r} "
            f"meta={len(tags)} metrics={len(metrics)} component={tags.get('component')}"
        )
    for prefix in PLUGINS:
        a, b = seen.get(f"{prefix}_v2"), seen.get(f"{prefix}_ddtrace")
        if a is None or b is None:
            continue
        keys_a = set(a.get_tags()) | set(a.get_metrics())
        keys_b = set(b.get_tags()) | set(b.get_metrics())
        print(f"  keys only on {prefix}_v2: {sorted(keys_a - keys_b) or '-'}")
        only_b = {k: b.get_tag(k) for k in sorted(keys_b - keys_a)}
        print(f"  keys only on {prefix}_ddtrace: {only_b or '-'}")
    print()


# --- report ---


def us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def report(samples: Samples, spans_per_call: Dict[str, float], rounds: int) -> None:
    med = {clock: {name: statistics.median(v) for name, v in per.items()} for clock, per in samples.items()}

    def over(clock: str, name: str) -> float:
        return med[clock][name] - med[clock][baseline(name) or name]

    def paired(name: str) -> List[float]:
        """Wall traced - untraced within each round: how much that difference moves between rounds."""
        base = samples["wall"][baseline(name) or name]
        return [t - u for t, u in zip(samples["wall"][name], base)]

    print(f"Per-call time in us, median of {rounds} rounds; overhead = median - the driver's untraced median")
    print("  wall = perf_counter_ns (includes the server round trip); cpu = thread_time_ns of this thread")
    header = (
        f"{'configuration':<16}{'wall':>8}{'min':>8}{'max':>8}{'wall ovh':>10}{'per-round range':>18}"
        f"{'cpu':>8}{'cpu ovh':>9}{'spans/call':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, wall in samples["wall"].items():
        if baseline(name):
            diffs = paired(name)
            wall_ovh, cpu_ovh = us(over("wall", name)), us(over("cpu", name))
            spread = f"{us(min(diffs))}..{us(max(diffs))}"
        else:
            wall_ovh = spread = cpu_ovh = "-"
        print(
            f"{name:<16}{us(med['wall'][name]):>8}{us(min(wall)):>8}{us(max(wall)):>8}{wall_ovh:>10}{spread:>18}"
            f"{us(med['cpu'][name]):>8}{cpu_ovh:>9}{spans_per_call[name]:>12.2f}"
        )
    print()

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b > 0 else "n/a"

    print("Ratios of medians: wall totals, wall overheads, cpu overheads (traced - untraced of each side)")
    print(f"  {'':<30}{'wall':>8}{'wall ovh':>10}{'cpu ovh':>9}")
    for prefix in PLUGINS:
        if f"{prefix}_untraced" not in med["wall"]:
            continue
        v2, dd, bare = f"{prefix}_v2", f"{prefix}_ddtrace", f"{prefix}_bare_span"
        for a, b in ((v2, dd), (v2, bare), (dd, bare)):
            cells = (
                ratio(med["wall"][a], med["wall"][b]),
                ratio(over("wall", a), over("wall", b)),
                ratio(over("cpu", a), over("cpu", b)),
            )
            print(f"  {a + ' / ' + b:<30}{cells[0]:>8}{cells[1]:>10}{cells[2]:>9}")
    print()
    print("Per-call overhead over untraced, us (wall / cpu):")
    columns = ("bare_span", "ddtrace", "v2", "v2_disabled")
    print(f"  {'':<10}{'untraced':>15}" + "".join(f"{c:>15}" for c in columns))
    for prefix, label in (("pg", "psycopg2"), ("my", "PyMySQL")):
        if f"{prefix}_untraced" not in med["wall"]:
            continue
        untraced = f"{prefix}_untraced"
        cells = [f"{us(med['wall'][untraced])} / {us(med['cpu'][untraced])}"]
        cells += [f"{us(over('wall', f'{prefix}_{c}'))} / {us(over('cpu', f'{prefix}_{c}'))}" for c in columns]
        print(f"  {label:<10}" + "".join(f"{c:>15}" for c in cells))
    print(f"  (empty loop, included in every row: {us(med['wall']['(empty loop)'])} us)")


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 short rounds (a few seconds)")
    parser.add_argument("--rounds", type=int, help="timed rounds per configuration (default 15, quick 3)")
    parser.add_argument("--round-time", type=float, help="seconds per round per configuration (default 0.2)")
    parser.add_argument("--no-mysql", action="store_true", help="psycopg2 only")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 15)
    round_s = args.round_time or (0.05 if args.quick else 0.2)
    warmup_s = 0.02 if args.quick else 0.1

    writer = install_null_writer()
    pymysql, why_not = import_pymysql(not args.no_mysql)
    conns = Connections(pymysql)
    if tracer._span_aggregator.writer is not writer:
        raise SystemExit("the tracer's writer was replaced during set-up")
    try:
        loops = make_loops(conns)
        versions = f"psycopg2 {psycopg2.__version__.split()[0]}"
        if pymysql is not None:
            versions += f", PyMySQL {importlib.metadata.version('PyMySQL')}"  # its __version__ mimics mysqlclient
        print(
            f"python {sys.version.split()[0]}, ddtrace {ddtrace.__version__}, "
            f"ddtrace-integrations {ddtrace_integrations.__version__}, {versions}; "
            f"{rounds} rounds x ~{round_s}s per configuration"
        )
        v2_cursor = type(conns.pg_v2.cursor())
        print(
            f"cursors: pg_ddtrace {type(conns.pg_dd.cursor()).__name__} (ddtrace's proxy); pg_v2 a subclass of "
            f"psycopg2's cursor: {v2_cursor is not psycopg2.extensions.cursor}; spans go to a NullWriter (nothing sent)"
        )
        if pymysql is None:
            print(f"PyMySQL skipped ({why_not})")
        set_listeners("pg_v2_disabled")
        print(
            f"pg_v2_disabled: has_listeners(context.started.psycopg.execute) is False: "
            f"{not core.has_listeners('context.started.psycopg.execute')}"
        )
        print()
        describe_spans(loops, writer)
        start = time.perf_counter()
        samples, spans_per_call = measure(loops, writer, rounds, round_s, warmup_s)
        report(samples, spans_per_call, rounds)
        print(f"\nmeasured in {time.perf_counter() - start:.1f}s")
    finally:
        conns.close()


if __name__ == "__main__":
    main()
