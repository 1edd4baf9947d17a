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

import contextlib
import importlib.metadata
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
from _harness import arguments
from _harness import describe_spans
from _harness import install_null_writer
from _harness import measure
from _harness import report
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


def set_listeners(name: str) -> None:
    """v2's plugins listen in every configuration but the ``*_v2_disabled`` ones."""
    for prefix, module in PLUGINS.items():
        if name == f"{prefix}_v2_disabled":
            tracing_plugins.shutdown(module)
        else:  # idempotent; harmless for a driver that is not patched (its events never fire)
            tracing_plugins.initialize(module)


def main(argv: Optional[List[str]] = None) -> None:
    args, rounds, round_s, warmup_s = arguments(__doc__, 15, argv, ("--no-mysql", "psycopg2 only"))

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
        labels = {"pg": "psycopg2", "my": "PyMySQL"}
        describe_spans(loops, writer, set_listeners, labels)
        start = time.perf_counter()
        samples, spans_per_call = measure(loops, writer, rounds, round_s, warmup_s, set_listeners)
        report(samples, spans_per_call, rounds, labels)
        print(f"\nmeasured in {time.perf_counter() - start:.1f}s")
    finally:
        conns.close()


if __name__ == "__main__":
    main()
