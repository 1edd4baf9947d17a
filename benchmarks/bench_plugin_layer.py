"""Cost of one traced call through the v2 publisher/plugin layer, next to the alternatives, in one process.

Run: ``python benchmarks/bench_plugin_layer.py`` (about 20 s) or ``--quick`` (a few seconds, a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

Configurations, each a loop of ``N`` calls of a trivial sync call:

fake ``Connection.execute(query)`` (returns an int, does nothing else):
  untraced         the bare method, never wrapped
  disabled         wrapped by the v2 publisher, plugins unregistered: the ``has_listeners`` fast path
  v2_nospan        wrapped by the v2 publisher, a plugin that makes no span registered: the publisher and
                   event-hub cost alone (context, two dispatches, plugin callbacks)
  bare_span        ``with tracer.trace(...)`` around the bare method, five tags set by hand
  v2               wrapped by the v2 publisher, a DatabasePlugin subclass registered: the full DB span

sqlite3 in-memory ``cursor.execute("select 1")``:
  sqlite_untraced  a plain sqlite3 cursor (its connection was opened before ``ddtrace.patch``)
  sqlite_bare_span ``with tracer.trace(...)`` around the plain cursor call, tags set by hand
  sqlite_ddtrace   ddtrace's own integration: a connection opened after ``ddtrace.patch(sqlite3=True)``
  sqlite_v2        a v2 publisher (defined below) wrapping a ``sqlite3.Cursor`` subclass, a DatabasePlugin
                   subclass registered, on a connection opened before ``ddtrace.patch``
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import gc
import sqlite3
import statistics
import sys
import time
import types
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

import ddtrace
import wrapt
from _harness import CYCLES
from _harness import INSTRUCTIONS
from _harness import NullWriter
from _harness import arguments
from _harness import calibrate
from _harness import count_instructions
from _harness import estimated_cycles
from _harness import install_null_writer
from _harness import instructions
from _harness import under_callgrind
from ddtrace.internal import core
from ddtrace.trace import tracer

import ddtrace_integrations
from ddtrace_integrations import _patching
from ddtrace_integrations import tracing_plugins
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.tracing_plugins.base.database import DatabasePlugin
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

QUERY = "SELECT id, name FROM users WHERE id = 1"
SQLITE_QUERY = "select 1"


# --- the traced library: a trivial fake database client and sqlite3's cursor, in one module ---


class Connection:
    """The bare library: never wrapped (``untraced`` and ``bare_span`` call this)."""

    host = "db.internal"
    port = 5433
    user = "alice"
    database = "inventory"

    def execute(self, query: Any) -> int:
        return 1


class PublishedConnection(Connection):
    """The same class as the v2 publisher sees it: ``execute`` gets wrapped here, ``Connection`` stays bare."""


class PublishedSQLiteCursor(sqlite3.Cursor):
    """sqlite3's cursor for the v2 publisher: a C type cannot be patched, a subclass can (no overrides)."""


benchlib = types.ModuleType("benchlib")
benchlib.__version__ = "1.0"  # type: ignore[attr-defined]
benchlib.Connection = PublishedConnection  # type: ignore[attr-defined]
benchlib.SQLiteCursor = PublishedSQLiteCursor  # type: ignore[attr-defined]
sys.modules["benchlib"] = benchlib


# --- its v2 publisher (this module is also the publisher the registry imports) ---

supported_versions = {"benchlib": ">=1.0"}
publisher = Publisher("benchlib")


def _fake_db(conn: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    query = argument(args, kwargs, 0, "query")
    db = DatabaseContext("fakedb", query=query, host=conn.host, port=conn.port, user=conn.user, database=conn.database)
    db.dbm_injectable = True
    return {"db_context": db}


def _commented(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    commented = ctx.get_item("db_context").commented_query
    return (args, kwargs) if commented is None else replace_argument(args, kwargs, 0, "query", commented)


def _rowcount(ctx: Any, result: Any) -> None:
    ctx.get_item("db_context").rowcount = result


def _sqlite_db(cursor: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    # What ddtrace's sqlite3 integration knows: the query and db.system (no host, no DBM comment).
    return {"db_context": DatabaseContext("sqlite", query=argument(args, kwargs, 0, "sql"))}


def _sqlite_rowcount(ctx: Any, cursor: Any) -> None:
    if cursor is not None:
        ctx.get_item("db_context").rowcount = cursor.rowcount


def patch(module: types.ModuleType) -> None:
    publisher.pin(module)
    execute = Event("fakedb.execute", _fake_db, pin_source=module, rewrite=_commented, done=_rowcount)
    publisher.wrap(module.Connection, "execute", traced(execute))
    sqlite_execute = Event("v2sqlite.execute", _sqlite_db, pin_source=module, done=_sqlite_rowcount)
    publisher.wrap(module.SQLiteCursor, "execute", traced(sqlite_execute))


def unpatch(module: types.ModuleType) -> None:
    publisher.unwrap_all()


# --- its plugins (this module is also the plugins module) ---


class FakeQueryPlugin(DatabasePlugin):
    package = "fakedb"
    operation = "execute"
    system = "fakedb"
    query_name = "fakedb.query"
    config_defaults = {"_default_service": "fakedb"}


class FakeNoSpanPlugin(TracingPlugin):
    """Subscribed to the same event as FakeQueryPlugin, makes no span: isolates the pub/sub machinery."""

    package = "fakedb"
    operation = "execute"


class SQLiteQueryPlugin(DatabasePlugin):
    package = "v2sqlite"
    operation = "execute"
    system = "sqlite"
    query_name = "sqlite.query"
    config_defaults = {"_default_service": "sqlite"}


def register_v2() -> None:
    """Registered like a third-party entry point: an Integration in the registry, then ``patch(benchlib=True)``."""
    _patching.BUILTIN["benchlib"] = _patching.Integration("benchlib", ("benchlib",), __name__, __name__)
    ddtrace_integrations.patch(benchlib=True)
    wrapped = [vars(cls).get("execute") for cls in (PublishedConnection, PublishedSQLiteCursor)]
    if not all(isinstance(w, wrapt.FunctionWrapper) for w in wrapped):
        raise SystemExit("benchlib was not patched by the v2 registry")


# --- the measured loops: each makes the call the way application code would, N times ---


def make_loops(sqlite_raw: sqlite3.Connection, sqlite_dd: Any) -> Dict[str, Callable[[int], None]]:
    bare = Connection()
    published = PublishedConnection()
    raw_cursor = sqlite_raw.cursor()
    dd_cursor = sqlite_dd.cursor()
    v2_cursor = sqlite_raw.cursor(factory=PublishedSQLiteCursor)
    trace = tracer.trace

    def empty(n: int) -> None:
        for _ in range(n):
            pass

    def untraced(n: int) -> None:
        conn, q = bare, QUERY
        for _ in range(n):
            conn.execute(q)

    def published_loop(n: int) -> None:  # "disabled" and "v2": same code, listeners differ
        conn, q = published, QUERY
        for _ in range(n):
            conn.execute(q)

    def bare_span(n: int) -> None:
        conn, q = bare, QUERY
        for _ in range(n):
            with trace("fakedb.query", service="fakedb", resource=q, span_type="sql") as span:
                span.set_tag("component", "fakedb")
                span.set_tag("span.kind", "client")
                span.set_tag("db.system", "fakedb")
                span.set_tag("out.host", conn.host)
                span.set_tag("db.name", conn.database)
                conn.execute(q)

    def sqlite_untraced(n: int) -> None:
        cur, q = raw_cursor, SQLITE_QUERY
        for _ in range(n):
            cur.execute(q)

    def sqlite_bare_span(n: int) -> None:
        cur, q = raw_cursor, SQLITE_QUERY
        for _ in range(n):
            with trace("sqlite.query", service="sqlite", resource=q, span_type="sql") as span:
                span.set_tag("component", "sqlite")
                span.set_tag("span.kind", "client")
                span.set_tag("db.system", "sqlite")
                cur.execute(q)

    def sqlite_ddtrace(n: int) -> None:
        cur, q = dd_cursor, SQLITE_QUERY
        for _ in range(n):
            cur.execute(q)

    def sqlite_v2(n: int) -> None:
        cur, q = v2_cursor, SQLITE_QUERY
        for _ in range(n):
            cur.execute(q)

    return {
        "(empty loop)": empty,
        "untraced": untraced,
        "disabled": published_loop,
        "v2_nospan": published_loop,
        "bare_span": bare_span,
        "v2": published_loop,
        "sqlite_untraced": sqlite_untraced,
        "sqlite_bare_span": sqlite_bare_span,
        "sqlite_ddtrace": sqlite_ddtrace,
        "sqlite_v2": sqlite_v2,
    }


# What each configuration is measured against (overhead = its median - its baseline's median).
BASELINE = {
    "disabled": "untraced",
    "v2_nospan": "untraced",
    "bare_span": "untraced",
    "v2": "untraced",
    "sqlite_bare_span": "sqlite_untraced",
    "sqlite_ddtrace": "sqlite_untraced",
    "sqlite_v2": "sqlite_untraced",
}


# Which plugin listens to fakedb.execute in each configuration (FakeQueryPlugin unless named here).
LISTENING: Dict[str, Tuple[type, ...]] = {"disabled": (), "v2_nospan": (FakeNoSpanPlugin,)}


def set_listeners(name: str) -> None:
    """Only the configuration's plugins listen. An unregistered plugin keeps listening to ``context.ended`` (to
    end the spans of calls in flight); no call is in flight here, so that listener goes too, or every other
    configuration would pay for it."""
    wanted = LISTENING.get(name, (FakeQueryPlugin,))
    for cls in (FakeQueryPlugin, FakeNoSpanPlugin):
        if cls not in wanted:
            tracing_plugins.unregister(cls)
            plugin = tracing_plugins._plugins.get(cls)
            if plugin is not None:
                core.reset_listeners(f"context.ended.{plugin.event_name}", plugin._ended_while_off)
    for cls in wanted:
        tracing_plugins.register(cls)


# --- timing ---


def timed(loop: Callable[[int], None], n: int) -> int:
    gc.collect()
    start = time.perf_counter_ns()
    loop(n)
    return time.perf_counter_ns() - start


def measure(
    loops: Dict[str, Callable[[int], None]], writer: NullWriter, rounds: int, round_s: float, warmup_s: float
) -> Tuple[Dict[str, List[float]], Dict[str, float]]:
    """Interleaved rounds (each round times every configuration once), so drift hits all of them alike."""
    sizes: Dict[str, int] = {}
    for name, loop in loops.items():
        set_listeners(name)
        sizes[name] = calibrate(loop, round_s, warmup_s)
    per_call: Dict[str, List[float]] = {name: [] for name in loops}
    spans: Dict[str, int] = dict.fromkeys(loops, 0)
    for _ in range(rounds):
        for name, loop in loops.items():
            set_listeners(name)
            before = writer.spans
            per_call[name].append(timed(loop, sizes[name]) / sizes[name])
            spans[name] += writer.spans - before
    spans_per_call = {name: spans[name] / (sizes[name] * rounds) for name in loops}
    return per_call, spans_per_call


# --- what each configuration produces, checked once before timing ---


def one_span(loop: Callable[[int], None], writer: NullWriter) -> Optional[Any]:
    before = writer.spans
    loop(1)
    return writer.last[0] if writer.spans > before else None


def describe_spans(loops: Dict[str, Callable[[int], None]], writer: NullWriter) -> None:
    print("Span produced by one call (checked before timing):")
    seen: Dict[str, Any] = {}
    for name, loop in loops.items():
        set_listeners(name)
        span = one_span(loop, writer)
        seen[name] = span
        if span is None:
            print(f"  {name:<17} no span")
            continue
        tags, metrics = span.get_tags(), span.get_metrics()
        print(
            f"  {name:<17} {span.name} service={span.service} type={span.span_type} "
            f"meta={len(tags)} metrics={len(metrics)} component={tags.get('component')}"
        )
    for ours, theirs in (("v2", "bare_span"), ("sqlite_v2", "sqlite_ddtrace")):
        a, b = seen.get(ours), seen.get(theirs)
        if a is None or b is None:
            continue
        keys_a = set(a.get_tags()) | set(a.get_metrics())
        keys_b = set(b.get_tags()) | set(b.get_metrics())
        print(f"  keys only on {ours}: {sorted(keys_a - keys_b) or '-'}")
        print(f"  keys only on {theirs}: {sorted(keys_b - keys_a) or '-'}")
    print()


# --- report ---


def report(per_call: Dict[str, List[float]], spans_per_call: Dict[str, float], rounds: int) -> None:
    med = {name: statistics.median(values) for name, values in per_call.items()}
    print(f"Per-call time, median of {rounds} rounds (ns); overhead = median - baseline median")
    header = (
        f"{'configuration':<18}{'median ns':>11}{'min ns':>10}{'max ns':>10}  "
        f"{'baseline':<17}{'overhead us':>12}{'x baseline':>11}{'spans/call':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, values in per_call.items():
        base = BASELINE.get(name)
        overhead = f"{(med[name] - med[base]) / 1000:.3f}" if base else "-"
        ratio = f"{med[name] / med[base]:.2f}" if base else "-"
        print(
            f"{name:<18}{med[name]:>11.0f}{min(values):>10.0f}{max(values):>10.0f}  "
            f"{base or '-':<17}{overhead:>12}{ratio:>11}{spans_per_call[name]:>12.2f}"
        )
    print()

    def over(name: str) -> float:
        return med[name] - med[BASELINE[name]]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b > 0 else "n/a (denominator <= 0)"

    print("Ratios (medians; 'overhead' ratios compare traced - untraced of each side)")
    rows = [
        ("v2 / bare_span", ratio(med["v2"], med["bare_span"]), ratio(over("v2"), over("bare_span"))),
        (
            "sqlite_v2 / sqlite_ddtrace",
            ratio(med["sqlite_v2"], med["sqlite_ddtrace"]),
            ratio(over("sqlite_v2"), over("sqlite_ddtrace")),
        ),
        (
            "sqlite_ddtrace / sqlite_bare_span",
            ratio(med["sqlite_ddtrace"], med["sqlite_bare_span"]),
            ratio(over("sqlite_ddtrace"), over("sqlite_bare_span")),
        ),
        (
            "sqlite_v2 / sqlite_bare_span",
            ratio(med["sqlite_v2"], med["sqlite_bare_span"]),
            ratio(over("sqlite_v2"), over("sqlite_bare_span")),
        ),
        ("v2 (fake) / sqlite_ddtrace [cross-shape]", "-", ratio(over("v2"), over("sqlite_ddtrace"))),
        ("disabled / untraced", ratio(med["disabled"], med["untraced"]), "-"),
    ]
    print(f"  {'':<42}{'total':>8}{'overhead':>10}")
    for label, total, overhead in rows:
        print(f"  {label:<42}{total:>8}{overhead:>10}")
    print()
    print("Per-call overhead (us):")
    print(f"  disabled fast path (has_listeners + wrapt)  {over('disabled') / 1000:.3f}")
    print(f"  v2_nospan (publisher + event hub, no span)  {over('v2_nospan') / 1000:.3f}")
    print(f"  bare_span (hand-written tracer.trace)       {over('bare_span') / 1000:.3f}")
    print(f"  v2 full DB span (fake library)              {over('v2') / 1000:.3f}")
    print(f"  sqlite_bare_span                            {over('sqlite_bare_span') / 1000:.3f}")
    print(f"  sqlite_ddtrace (ddtrace's integration)      {over('sqlite_ddtrace') / 1000:.3f}")
    print(f"  sqlite_v2 (v2 publisher + DatabasePlugin)   {over('sqlite_v2') / 1000:.3f}")
    print(f"  (empty loop, included in every row)         {med['(empty loop)'] / 1000:.3f}")


def report_instructions(
    per_call: Dict[str, float], sizes: Dict[str, int], spans_per_call: Dict[str, float], unit: str
) -> None:
    print(f"{unit.capitalize()} per call (callgrind, (I(3n) - I(n)) / 2n); overhead = over the baseline")
    header = f"{'configuration':<18}{'n':>6}{'per call':>11}  {'baseline':<17}{'overhead':>10}{'spans/call':>12}"
    print(header)
    print("-" * len(header))
    for name, count in per_call.items():
        base = BASELINE.get(name)
        overhead = f"{count - per_call[base]:.0f}" if base else "-"
        print(f"{name:<18}{sizes[name]:>6}{count:>11.0f}  {base or '-':<17}{overhead:>10}{spans_per_call[name]:>12.2f}")


def main(argv: Optional[List[str]] = None) -> None:
    args, rounds, round_s, warmup_s = arguments(__doc__, 7, argv, INSTRUCTIONS, CYCLES)
    counting = args.instructions or args.cycles
    unit = "estimated cycles" if args.cycles else "instructions"
    if counting:
        under_callgrind(argv, simulate=args.cycles)

    writer = install_null_writer()
    sqlite_raw = sqlite3.connect(":memory:")  # opened before ddtrace patches sqlite3: stays untraced
    ddtrace.patch(sqlite3=True)
    sqlite_dd = sqlite3.connect(":memory:")
    if type(sqlite_dd) is sqlite3.Connection or type(sqlite_raw) is not sqlite3.Connection:
        raise SystemExit(f"sqlite3 set-up is wrong: {type(sqlite_raw)} / {type(sqlite_dd)}")
    register_v2()
    if tracer._span_aggregator.writer is not writer:
        raise SystemExit("the tracer's writer was replaced during set-up")

    loops = make_loops(sqlite_raw, sqlite_dd)
    method = f"{unit} counted by callgrind" if counting else f"{rounds} rounds x ~{round_s}s"
    print(
        f"python {sys.version.split()[0]}, ddtrace {ddtrace.__version__}, "
        f"ddtrace-integrations {ddtrace_integrations.__version__}; {method} per configuration"
    )
    print(f"sqlite_ddtrace cursor: {type(sqlite_dd.cursor()).__name__}; spans go to a NullWriter (nothing sent)")
    set_listeners("disabled")
    disabled_fast = not core.has_listeners(f"context.started.{FakeQueryPlugin.package}.{FakeQueryPlugin.operation}")
    print(f"disabled: has_listeners(context.started.fakedb.execute) is False: {disabled_fast}")
    print()
    describe_spans(loops, writer)
    start = time.perf_counter()
    if counting:
        of_counts = estimated_cycles if args.cycles else instructions
        report_instructions(*count_instructions(loops, writer, set_listeners, args.quick, measure=of_counts), unit)
        print(f"\nmeasured in {time.perf_counter() - start:.1f}s (under callgrind)")
        return
    per_call, spans_per_call = measure(loops, writer, rounds, round_s, warmup_s)
    report(per_call, spans_per_call, rounds)
    print(f"\nmeasured in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
