"""Shared by the benchmarks: spans go nowhere (every tracer processor still runs); one process switched between
untraced, ddtrace's integrations and v2; interleaved timing (or instruction counts under callgrind); span checks;
allocations; the report.

Configurations are named ``<prefix>_<kind>``, kinds ``untraced``, ``bare_span``, ``ddtrace``, ``v2``,
``v2_disabled``; each is measured against its prefix's ``untraced``. A benchmark script describes its calls as
``Case``s and hands them to ``main``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import inspect
import json
import operator
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from types import FunctionType
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import List
from typing import Mapping
from typing import Optional
from typing import Sequence
from typing import Tuple

import ddtrace
import wrapt
from ddtrace.internal import core
from ddtrace.internal.writer import TraceWriter
from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import tracer

import ddtrace_integrations
from ddtrace_integrations import tracing_plugins

KINDS = ("untraced", "bare_span", "ddtrace", "v2", "v2_disabled")
# The process state each kind runs in: a bare span wraps the untraced call; v2_disabled is v2's patching with
# the case's plugins shut down.
# Matched bare spans, a sixth configuration for calls where both integrations do more than a bare span around the
# call, on every call: each is the bare span doing that too, made when the untraced call carries the attribute named
# here. ``with_headers`` (HTTP clients): the span's propagation headers injected into the headers the call sends.
# ``acknowledged`` (a producer whose span ends when the broker acknowledges the record): the span ended by a done
# callback on the delivery future, and the caller's active span restored when the send returns.
PROPAGATING, ACKNOWLEDGED = "bare_propagating", "bare_acknowledged"
MATCHED = {PROPAGATING: "with_headers", ACKNOWLEDGED: "acknowledged"}
MATCHED_LABELS = {
    PROPAGATING: "bare span sending propagation headers",
    ACKNOWLEDGED: "bare span ended by the broker's acknowledgement",
}
MODE = {
    "untraced": "untraced",
    "bare_span": "untraced",
    "ddtrace": "ddtrace",
    "v2": "v2",
    "v2_disabled": "v2",
    PROPAGATING: "untraced",
    ACKNOWLEDGED: "untraced",
}
EMPTY = "(empty loop)"


class NullWriter(TraceWriter):
    """Replaces the agent writer: ddtrace's whole span/trace path runs, nothing is encoded or sent."""

    def __init__(self) -> None:
        self.spans = 0
        self.last: Sequence[Any] = ()
        self.recording: Optional[List[Any]] = None  # every span written while a list is set here

    def recreate(self, appsec_enabled: Optional[bool] = None, llmobs_enabled: Optional[bool] = None) -> NullWriter:
        return self

    def stop(self, timeout: Optional[float] = None) -> None:
        pass

    def write(self, spans: Optional[Sequence[Any]] = None) -> None:
        if spans:
            self.spans += len(spans)
            self.last = spans
            if self.recording is not None:
                self.recording.extend(spans)

    def flush_queue(self) -> None:
        pass

    @contextlib.contextmanager
    def record(self) -> Iterator[List[Any]]:
        spans: List[Any] = []
        self.recording = spans
        try:
            yield spans
        finally:
            self.recording = None


def install_null_writer() -> NullWriter:
    aggregator = tracer._span_aggregator
    old = aggregator.writer
    writer = aggregator.writer = NullWriter()
    with contextlib.suppress(Exception):  # a writer that never started has nothing to stop
        old.stop()
    return writer


def baseline(name: str) -> Optional[str]:
    """What a configuration is measured against (overhead = its median - its baseline's median)."""
    if name.startswith("(") or name.endswith("_untraced"):
        return None
    return name.split("_", 1)[0] + "_untraced"


# --- one process, three states: what ddtrace's and v2's patching changed, switched between rounds ---


# every wrapt proxy (function wrappers, bound ones, object proxies); wrapt 1 names the base ObjectProxy
PROXY = getattr(wrapt, "BaseObjectProxy", wrapt.ObjectProxy)


def _functions(value: Any) -> Iterator[FunctionType]:
    """The Python functions behind a namespace value: through staticmethod/classmethod and wrapper chains."""
    for _ in range(16):
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        elif isinstance(value, PROXY):
            value = value.__wrapped__
        elif type(value) is FunctionType:
            yield value
            value = value.__dict__.get("__wrapped__")
        else:
            return


def _unwrapped(value: Any) -> Any:
    while isinstance(value, PROXY):
        value = value.__wrapped__
    return value


class Patching:
    """The process as each mode (``untraced``, ``ddtrace``, ``v2``) left it: the attributes of the modules under
    ``packages`` and of their classes (plus ``extra`` objects, e.g. signal instances), and the code of every
    function found there (ddtrace rewrites some functions' bytecode in place). ``switch`` puts a captured mode
    back, so ddtrace's integration and v2 patch the same library in turn within one process."""

    def __init__(self, packages: Sequence[str], extra: Sequence[Any] = ()) -> None:
        self.packages = tuple(packages)
        self.extra = list(extra)
        self.owners: Dict[int, Any] = {}
        self.functions: Dict[int, FunctionType] = {}
        self.attrs: Dict[str, Dict[int, Dict[str, Any]]] = {}
        self.codes: Dict[str, Dict[int, CodeType]] = {}
        self._differing: Optional[Tuple[Dict[int, List[str]], List[int]]] = None
        self.late = 0  # objects first seen after the first capture

    def _in_packages(self, module: str, packages: Sequence[str]) -> bool:
        return any(module == p or module.startswith(p + ".") for p in packages)

    def _discover(self) -> None:
        for name, module in list(sys.modules.items()):
            if module is None or not self._in_packages(name, self.packages):
                continue
            self.owners.setdefault(id(module), module)
            for value in list(vars(module).values()):
                if isinstance(value, type):
                    self.owners.setdefault(id(value), value)
        for obj in self.extra:
            self.owners.setdefault(id(obj), obj)

    def capture(self, mode: str) -> None:
        known, earlier = set(self.owners), list(self.attrs.values())
        self._discover()
        attrs = self.attrs[mode] = {key: dict(vars(owner)) for key, owner in self.owners.items()}
        for key in set(self.owners) - known if earlier else ():
            self.late += 1  # imported by this mode's patching: before it, nothing there was wrapped
            for state in earlier:
                state[key] = {name: _unwrapped(value) for name, value in attrs[key].items()}
        for namespace in attrs.values():
            for value in namespace.values():
                for fn in _functions(value):
                    self.functions.setdefault(id(fn), fn)
        self.codes[mode] = {key: fn.__code__ for key, fn in self.functions.items()}
        self._differing = None

    def differing(self) -> Tuple[Dict[int, List[str]], List[int]]:
        """Owner -> the attribute names whose values differ between captured modes; functions whose code does."""
        if self._differing is None:
            modes = list(self.attrs.values())
            names: Dict[int, List[str]] = {}
            for key in self.owners:
                states = [m[key] for m in modes if key in m]
                keys = set().union(*states)
                missing = object()
                changed = [
                    n
                    for n in keys
                    if len({id(s.get(n, missing)) for s in states}) > 1
                    and not any(inspect.ismodule(s.get(n)) for s in states)  # a submodule imported meanwhile
                ]
                if changed:
                    names[key] = sorted(changed)
            codes = [k for k in self.functions if len({id(c[k]) for c in self.codes.values() if k in c}) > 1]
            self._differing = (names, codes)
        return self._differing

    def switch(self, mode: str) -> None:
        names, codes = self.differing()
        attrs, code_of = self.attrs[mode], self.codes[mode]
        for key, changed in names.items():
            if key not in attrs:
                continue
            owner, wanted, current = self.owners[key], attrs[key], vars(self.owners[key])
            for name in changed:
                if name in wanted:
                    if current.get(name) is not wanted[name]:
                        setattr(owner, name, wanted[name])
                elif name in current:
                    delattr(owner, name)
        for key in codes:
            fn = self.functions[key]
            if key in code_of and fn.__code__ is not code_of[key]:
                fn.__code__ = code_of[key]

    def leftovers(self, packages: Sequence[str]) -> List[str]:
        """Wrappers reachable now from the modules under ``packages`` and their classes (none, when untraced)."""
        found = []
        for name, module in list(sys.modules.items()):
            if module is None or not self._in_packages(name, packages):
                continue
            for owner in [module, *(v for v in vars(module).values() if isinstance(v, type))]:
                where = name if owner is module else f"{name}.{getattr(owner, '__qualname__', '')}"
                found += [f"{where}.{attr}" for attr, value in vars(owner).items() if isinstance(value, PROXY)]
        return sorted(set(found))

    def summary(self) -> str:
        names, codes = self.differing()
        return (
            f"{sum(map(len, names.values()))} attributes on {len(names)} objects and {len(codes)} functions' code "
            f"differ between modes ({len(self.owners)} objects watched, {self.late} first imported by patching)"
        )


# --- one benchmarked call ---

Call = Callable[[], Any]  # one call of the library; for an async case, a coroutine function


@dataclass
class Case:
    """One row of the table. ``make(mode)`` (sync or async) runs while ``mode`` is patched in and returns the
    call, on objects made for that mode (a connection, a client, an app); the bare span wraps the untraced
    call, v2_disabled runs v2's call with ``integration``'s plugins shut down. A call may carry ``close``
    (sync or async), called at the end, and ``with_headers(headers)`` (sync), the same call sending ``headers``
    too, or ``acknowledged()`` (async), the same send returning the delivery future instead of awaiting it: its
    case is also measured as ``bare_propagating`` or ``bare_acknowledged`` (see ``MATCHED``).

    ``spans``: spans one call makes under ddtrace's integration and under v2 (checked). ``activate(mode)``
    runs before every round, untimed (per-mode process state, draining a queue). ``max_calls`` caps the calls
    in one round (calls that consume a finite supply)."""

    label: str
    prefix: str
    integration: str
    make: Callable[[str], Any]
    spans: int = 1
    activate: Optional[Callable[[str], None]] = None
    max_calls: Optional[int] = None

    @property
    def plugins(self) -> str:
        return plugins_module(self.integration)


def plugins_module(integration: str) -> str:
    """v2's plugins module of an integration."""
    return f"ddtrace_integrations.tracing_plugins.contrib.{integration}"


def _spans_tags(span: Any) -> Dict[str, Any]:
    return {**span.get_tags(), **span.get_metrics()}


def _root(spans: Sequence[Any]) -> Any:
    ids = {s.span_id for s in spans}
    return next(s for s in spans if s.parent_id not in ids)


class Bench:
    """The cases of one benchmark process: set-up (each mode patched in turn), the loops, checks, allocations."""

    def __init__(self, cases: Sequence[Case], packages: Sequence[str], extra: Sequence[Any], writer: NullWriter):
        self.cases = list(cases)
        self.by_prefix = {c.prefix: c for c in self.cases}
        if len(self.by_prefix) != len(self.cases) or any("_" in p for p in self.by_prefix):
            raise SystemExit("case prefixes must be unique and contain no underscore")
        self.integrations = sorted({c.integration for c in self.cases})
        contrib = [f"ddtrace.contrib.internal.{name}" for name in self.integrations]
        self.library_packages = tuple(packages)
        self.patching = Patching([*packages, *contrib, "ddtrace.internal.peer_service"], extra)
        self.writer = writer
        self.event_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.event_loop)
        self.calls: Dict[str, Dict[str, Call]] = {}  # mode -> prefix -> call
        self.templates: Dict[str, Any] = {}  # prefix -> the root span of ddtrace's call: what a bare span copies
        self.problems: List[str] = []

    def run(self, value: Any) -> Any:
        return self.event_loop.run_until_complete(value) if inspect.isawaitable(value) else value

    def _make(self, mode: str) -> None:
        """Each case's call for ``mode``, called twice (first calls load lazily what the mode patches)."""
        self.calls[mode] = {}
        for case in self.cases:
            if case.activate is not None:
                case.activate(mode)
            call = self.calls[mode][case.prefix] = self.run(case.make(mode))
            self.run(call())
            with self.writer.record() as spans:
                self.run(call())
            if mode == "ddtrace" and spans:
                self.templates[case.prefix] = _root(spans)

    def set_up(self) -> None:
        """Untraced first; then ``ddtrace.patch``; then, from the untraced state again, v2's patch (which claims
        ddtrace's integrations, so their patch functions become no-ops)."""
        self._plugins(None)
        self._make("untraced")
        self.patching.capture("untraced")
        ddtrace.patch(**dict.fromkeys(self.integrations, True))
        self._make("ddtrace")
        self.patching.capture("ddtrace")
        self.patching.switch("untraced")
        ddtrace_integrations.patch(**dict.fromkeys(self.integrations, True))
        self._plugins("")
        self._make("v2")
        self.patching.capture("v2")
        self.patching.switch("untraced")
        leftovers = self.patching.leftovers(self.library_packages)
        if leftovers:
            self.problems.append(f"wrappers left in the untraced state: {leftovers[:5]}")
        missing = [c.prefix for c in self.cases if c.prefix not in self.templates]
        if missing:
            self.problems.append(f"ddtrace's integration made no span for {missing}")

    def close(self) -> None:
        for calls in self.calls.values():
            for call in calls.values():
                close = getattr(call, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        self.run(close())
        self.event_loop.close()

    def _plugins(self, disabled: Optional[str]) -> None:
        """v2's plugins listen (but those of ``disabled``); None: none listens (untraced and ddtrace's states)."""
        for name in self.integrations:
            if disabled is None or name == disabled:
                tracing_plugins.shutdown(plugins_module(name))
            else:
                tracing_plugins.initialize(plugins_module(name))

    def configure(self, name: str) -> None:
        """Before each round, untimed: the process state, listeners and per-mode state of configuration ``name``."""
        if name == EMPTY:
            return
        prefix, kind = name.split("_", 1)
        case, mode = self.by_prefix[prefix], MODE[kind]
        self.patching.switch(mode)
        self._plugins(None if mode != "v2" else case.integration if kind == "v2_disabled" else "")
        if case.activate is not None:
            case.activate(mode)

    def listeners_left(self, case: Case) -> List[str]:
        """The started events of ``case``'s plugins that something still listens to (none, when shut down)."""
        plugins = tracing_plugins.plugins_in(importlib.import_module(case.plugins))
        events = [f"context.started.{p.package}.{p.operation}" for p in plugins]
        return [e for e in events if core.has_listeners(e)]

    # --- the measured loops: N calls, the way application code makes them ---

    def loops(self) -> Dict[str, Callable[[int], None]]:
        def empty(n: int) -> None:
            for _ in range(n):
                pass

        loops: Dict[str, Callable[[int], None]] = {EMPTY: empty}
        for case in self.cases:
            p, calls = case.prefix, {mode: self.calls[mode][case.prefix] for mode in self.calls}
            bare = self._bare_span(calls["untraced"], p)
            for kind, call in zip(KINDS, (calls["untraced"], bare, calls["ddtrace"], calls["v2"], calls["v2"])):
                loops[f"{p}_{kind}"] = self._loop(call)
            for kind, attribute in MATCHED.items():
                if hasattr(calls["untraced"], attribute):
                    matched = {attribute: getattr(calls["untraced"], attribute)}
                    loops[f"{p}_{kind}"] = self._loop(self._bare_span(calls["untraced"], p, **matched))
        return loops

    def _loop(self, call: Call) -> Callable[[int], None]:
        if not inspect.iscoroutinefunction(call):

            def loop(n: int) -> None:
                for _ in range(n):
                    call()

            return loop

        async def calls(n: int) -> None:
            for _ in range(n):
                await call()

        run = self.event_loop.run_until_complete
        return lambda n: run(calls(n))

    def _bare_span(
        self,
        call: Call,
        prefix: str,
        with_headers: Optional[Callable[[Dict[str, str]], Any]] = None,
        acknowledged: Optional[Callable[[], Any]] = None,
    ) -> Call:
        """``tracer.trace`` with the name, service, resource, type and tags of ddtrace's (root) span, around the
        untraced call: each tag the tracer does not add to every span is set one by one, as a hand-written
        integration sets them. With ``with_headers`` (sync), the span's propagation headers are injected into a
        new dict, and the call sends them. With ``acknowledged`` (async), the span ends in a done callback of the
        delivery future the send returns, the span active before it is active again when the send returns, and
        then the future is awaited, as the untraced ``send_and_wait`` does."""
        trace, inject, activate = tracer.trace, HTTPPropagator.inject, tracer.context_provider.activate
        with tracer.trace("ambient") as ambient:
            pass
        template = self.templates.get(prefix)
        if template is None:
            return call
        own = set(_spans_tags(ambient))
        meta = [(k, v) for k, v in template.get_tags().items() if k not in own]
        metrics = [(k, v) for k, v in template.get_metrics().items() if k not in own]
        name, service, resource, span_type = template.name, template.service, template.resource, template.span_type

        if acknowledged is not None:

            async def traced_acknowledged() -> Any:
                span = trace(name, service=service, resource=resource, span_type=span_type)
                for key, text in meta:
                    span.set_tag(key, text)
                for key, number in metrics:
                    span.set_metric(key, number)
                delivery = await acknowledged()
                delivery.add_done_callback(lambda _: span.finish())
                activate(span._parent)
                return await delivery

            return traced_acknowledged

        if inspect.iscoroutinefunction(call):

            async def traced_async() -> Any:
                with trace(name, service=service, resource=resource, span_type=span_type) as span:
                    for key, text in meta:
                        span.set_tag(key, text)
                    for key, number in metrics:
                        span.set_metric(key, number)
                    return await call()

            return traced_async

        def traced() -> Any:
            with trace(name, service=service, resource=resource, span_type=span_type) as span:
                for key, text in meta:
                    span.set_tag(key, text)
                for key, number in metrics:
                    span.set_metric(key, number)
                if with_headers is None:
                    return call()
                headers: Dict[str, str] = {}
                inject(span.context, headers)
                return with_headers(headers)

        return traced

    # --- what each configuration produces, checked once before timing ---

    def describe(self, loops: Dict[str, Callable[[int], None]]) -> None:
        print("Spans of one call (checked before timing):")
        for case in self.cases:
            seen: Dict[str, List[Any]] = {}
            for kind in self.kinds(case, loops):
                name = f"{case.prefix}_{kind}"
                self.configure(name)
                if kind == "v2_disabled" and self.listeners_left(case):
                    self.problems.append(f"{name}: still listened to: {self.listeners_left(case)}")
                with self.writer.record() as spans:
                    loops[name](1)
                seen[kind] = list(spans)
                expected = case.spans if kind in ("ddtrace", "v2") else int(kind == "bare_span" or kind in MATCHED)
                if len(spans) != expected:
                    self.problems.append(f"{name}: {len(spans)} spans from one call, expected {expected}")
                names = sorted(s.name for s in spans)
                root = f" root {_root(spans).name} service={_root(spans).service}" if spans else ""
                print(f"  {name:<28} {len(spans)} span(s){root}: {', '.join(names) or '-'}")
            self._compare(case.prefix, seen["v2"], seen["ddtrace"])
        print()

    def _compare(self, prefix: str, ours: List[Any], theirs: List[Any]) -> None:
        """Tag keys of v2's spans against ddtrace's, matched by span name (printed, not judged: parity tests judge)."""
        by_name: Dict[str, List[Any]] = {}
        for span in theirs:
            by_name.setdefault(span.name, []).append(span)
        differences = []
        for span in ours:
            twins = by_name.get(span.name)
            if not twins:
                differences.append(f"{span.name}: only v2 makes it")
                continue
            twin = twins.pop(0)
            a, b = _spans_tags(span), _spans_tags(twin)
            only_v2, only_dd = sorted(set(a) - set(b)), {k: b[k] for k in sorted(set(b) - set(a))}
            if only_v2 or only_dd:
                differences.append(f"{span.name}: keys only on v2 {only_v2 or '-'}, only on ddtrace {only_dd or '-'}")
        differences += [f"{name}: only ddtrace makes it" for name, left in by_name.items() for _ in left]
        for line in differences or ["same span names and tag keys"]:
            print(f"    {prefix} v2 vs ddtrace: {line}")

    @staticmethod
    def kinds(case: Case, measured: Mapping[str, Any]) -> Tuple[str, ...]:
        """The configurations of ``case`` among those ``measured`` (its five, and a matched bare span if made)."""
        return kinds_of(case.prefix, measured)

    def check_spans(self, spans_per_call: Dict[str, float]) -> None:
        """Every timed call made the spans its configuration should: none untraced or disabled, one bare span,
        the case's count under ddtrace's integration and under v2."""
        for case in self.cases:
            for kind in self.kinds(case, spans_per_call):
                name = f"{case.prefix}_{kind}"
                expected = case.spans if kind in ("ddtrace", "v2") else int(kind == "bare_span" or kind in MATCHED)
                if abs(spans_per_call[name] - expected) > 1e-9:
                    self.problems.append(
                        f"{name}: {spans_per_call[name]:.3f} spans per timed call, expected {expected}"
                    )

    # --- memory: bytes allocated during one call ---

    def allocations(self, loops: Dict[str, Callable[[int], None]], calls: int) -> Dict[str, float]:
        """Median over ``calls`` single calls of tracemalloc's peak during the call above what was allocated before
        it (spans of earlier calls are dropped first, so only this call's own allocations count)."""
        peaks: Dict[str, float] = {}
        tracemalloc.start()
        try:
            for name, loop in loops.items():
                if name == EMPTY:
                    continue
                self.configure(name)
                loop(1)
                sizes = []
                for _ in range(calls):
                    self.writer.last = ()
                    before = tracemalloc.get_traced_memory()[0]
                    tracemalloc.reset_peak()
                    loop(1)
                    sizes.append(tracemalloc.get_traced_memory()[1] - before)
                peaks[name] = statistics.median(sizes)
        finally:
            tracemalloc.stop()
        return peaks


# --- where the time goes: cProfile of one case ---

AREAS = (  # (path fragment, area), first match wins
    ("/ddtrace_integrations/", "v2 (ddtrace_integrations)"),
    ("/ddtrace/internal/core/", "ddtrace event hub (internal/core)"),
    ("/ddtrace/contrib/", "ddtrace's integrations (contrib)"),
    ("/ddtrace/", "ddtrace tracer and settings"),
    ("/wrapt/", "wrapt"),
    ("/benchmarks/", "benchmark loop"),
)


def _area(path: str) -> str:
    return next((area for fragment, area in AREAS if fragment in path), "library and stdlib")


def _own_times(stats: Any, work: Sequence[Tuple[str, int, str]] = ()) -> Dict[Tuple[str, int, str], float]:
    """Own time per function, with each C builtin's time handed to its callers (in proportion to the time spent
    in it from each), so wrapt's C wrappers and native span setters count for the code that called them. The
    builtins in ``work`` (the untraced call's own C work, e.g. a driver's ``execute``) stay the library's."""
    own = {func: row[2] for func, row in stats.stats.items() if func[0] != "~"}
    for func, (_, _, tottime, _, callers) in stats.stats.items():
        if func[0] != "~":
            continue
        if func in work:
            own[("library: the call's own C work", 0, func[2])] = tottime
            continue
        edges = {caller: edge[2] for caller, edge in callers.items() if caller[0] != "~"}
        total = sum(edges.values())
        for caller, time_in in edges.items():
            own[caller] = own.get(caller, 0.0) + (tottime * time_in / total if total else 0.0)
    return own


def profile(bench: Bench, loops: Dict[str, Callable[[int], None]], prefix: str, calls: int, top: int = 20) -> None:
    """cProfile ``calls`` calls of the case's untraced, v2, ddtrace and v2_disabled configurations: own time per
    call by area, v2's by file, and the functions with the most own time. cProfile's per-call cost inflates small
    calls."""
    import cProfile
    import pstats

    if prefix not in bench.by_prefix:
        raise SystemExit(f"--profile: no case {prefix!r} (cases: {', '.join(bench.by_prefix)})")
    work: List[Tuple[str, int, str]] = []
    for kind in ("untraced", "v2", "ddtrace", "v2_disabled"):
        name = f"{prefix}_{kind}"
        bench.configure(name)
        loops[name](max(1, calls // 10))
        profiler = cProfile.Profile()  # wall time: a CPU-time timer costs more than most calls it would time
        profiler.enable()
        loops[name](calls)
        profiler.disable()
        stats: Any = pstats.Stats(profiler)
        if kind == "untraced":  # the C calls that are most of the untraced call: the library's own work
            work = [f for f, row in stats.stats.items() if f[0] == "~" and row[2] >= 0.05 * stats.total_tt]
            seconds = sum(stats.stats[f][2] for f in work)
            print(
                f"(wall time: a server's answer is waited for in the library's C call; cProfile does not see a C "
                f"function called from C, e.g. by wrapt's C wrapper: the untraced call's own C work, "
                f"{seconds / calls * 1e6:.2f} us here, then counts as its Python caller's)"
            )
        own = _own_times(stats, work)
        total = sum(own.values())

        def line(seconds: float, what: str, total: float = total) -> str:
            return f"  {seconds / calls * 1e6:8.2f} us {seconds / total:6.1%}  {what}"

        print(f"{name}: {total / calls * 1e6:.1f} us per call under cProfile; own time by area:")
        for grouping in (lambda f: _area(f[0]), lambda f: "v2: " + "/".join(f[0].split("/")[-2:])):
            groups: Dict[str, float] = {}
            for func, seconds in own.items():
                key = grouping(func)
                if not key.startswith("v2: ") or "/ddtrace_integrations/" in func[0]:
                    groups[key] = groups.get(key, 0.0) + seconds
            for key, seconds in sorted(groups.items(), key=lambda item: -item[1]):
                print(line(seconds, key))
        print(f"  functions with the most own time ({top}; calls per call):")
        for func, seconds in sorted(own.items(), key=lambda item: -item[1])[:top]:
            path, number, function = func
            count = stats.stats[func][1] / calls if func in stats.stats else 1
            print(line(seconds, f"{count:4.1f}  {'/'.join(path.split('/')[-2:])}:{number}({function})"))
        print()


# --- timing: wall clock (perf_counter_ns) and this thread's CPU time (thread_time_ns) for the same calls ---

Samples = Dict[str, Dict[str, List[float]]]  # clock ("wall", "cpu") -> configuration -> per-call ns per round


def timed(loop: Callable[[int], None], n: int) -> Tuple[int, int]:
    gc.collect()
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    loop(n)
    return time.perf_counter_ns() - wall, time.thread_time_ns() - cpu


def calibrate(loop: Callable[[int], None], round_s: float, warmup_s: float, cap: Optional[int] = None) -> int:
    """Warm the loop up, then pick N so that one round of N calls lasts about ``round_s`` (at most ``cap``)."""
    n, limit = 16, min(cap or 1 << 26, 1 << 26)
    while True:
        elapsed, _ = timed(loop, n)
        if elapsed >= warmup_s * 1e9 or n >= limit:
            break
        n = min(n * 2, limit)
    per_call = max(elapsed / n, 1.0)
    return min(max(50, int(round_s * 1e9 / per_call)), limit)


def measure(
    loops: Dict[str, Callable[[int], None]],
    writer: NullWriter,
    rounds: int,
    round_s: float,
    warmup_s: float,
    configure: Callable[[str], None],
    caps: Optional[Dict[str, int]] = None,
) -> Tuple[Samples, Dict[str, float]]:
    """Interleaved rounds (each round times every configuration once), so drift hits all of them alike. The order
    is shuffled in each round (fixed seed), so no configuration always runs right after the same one."""
    sizes: Dict[str, int] = {}
    for name, loop in loops.items():
        configure(name)
        sizes[name] = calibrate(loop, round_s, warmup_s, (caps or {}).get(name))
    samples: Samples = {clock: {name: [] for name in loops} for clock in ("wall", "cpu")}
    spans: Dict[str, int] = dict.fromkeys(loops, 0)
    order, shuffle = list(loops), random.Random(0).shuffle
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            loop = loops[name]
            configure(name)
            before = writer.spans
            wall, cpu = timed(loop, sizes[name])
            samples["wall"][name].append(wall / sizes[name])
            samples["cpu"][name].append(cpu / sizes[name])
            spans[name] += writer.spans - before
    spans_per_call = {name: spans[name] / (sizes[name] * rounds) for name in loops}
    return samples, spans_per_call


# --- instructions: callgrind counts the instructions of the measured loops (the same on a busy machine) ---

CALLGRIND_OUT = "DDI_CALLGRIND_OUT"  # set for the process run under callgrind: the directory of its dumps
INSTRUCTIONS = ("--instructions", "instead of timing: count instructions per call with callgrind (Python 3.11+)")
CYCLES = (
    "--cycles",
    "as --instructions, with callgrind's cache and branch simulation: estimated CPU cycles per call",
)
SIMULATION = ("--cache-sim=yes", "--branch-sim=yes")


def under_callgrind(argv: Optional[List[str]], simulate: bool = False) -> None:
    """Unless this process already runs under callgrind: run this benchmark (its arguments ``argv``, None: the
    command line's) again under callgrind, collecting only inside ``operator.call`` (the loops are entered
    through it) and dumping the count each time it returns, then exit with that process's code. String hashing
    is seeded (0 unless set), so that set and dict layouts, and with them the counts, repeat between runs.
    ``simulate``: callgrind also simulates the caches and the branch predictor (``estimated_cycles``)."""
    if CALLGRIND_OUT in os.environ:
        return
    if not hasattr(operator, "call"):
        print(f"--instructions needs Python 3.11+ (operator.call); this is {sys.version.split()[0]}: nothing measured")
        raise SystemExit(0)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (callgrind) on PATH")
    with tempfile.TemporaryDirectory(prefix="ddi-callgrind-") as out:
        command = [
            valgrind,
            "-q",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=_operator_call",
            "--dump-after=_operator_call",
            f"--callgrind-out-file={out}/callgrind.out",
            *(SIMULATION if simulate else ()),
            sys.executable,
            sys.argv[0],
            *(sys.argv[1:] if argv is None else argv),
        ]
        env = {**os.environ, CALLGRIND_OUT: out, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
        code = subprocess.call(command, env=env)
    raise SystemExit(code)


def events_of(loop: Callable[[int], None], n: int) -> Dict[str, int]:
    """What callgrind counted while this thread ran ``loop(n)`` (``Ir``: instructions; with the simulation, cache
    misses and mispredicted branches too): it collects in ``operator.call`` and dumps on return (dumps are numbered
    ``callgrind.out.1``, ``.2``, ...; the newest is this call's)."""
    gc.collect()
    operator.call(loop, n)  # Python >= 3.11, checked before the re-run
    dumps = sorted(Path(os.environ[CALLGRIND_OUT]).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
    if not dumps:
        raise SystemExit("callgrind wrote no dump: was this process started by under_callgrind?")
    text = dumps[-1].read_text()
    for dump in dumps:
        dump.unlink()
    names: List[str] = []
    for line in text.splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith(("summary:", "totals:")):
            return dict(zip(names, map(int, line.split()[1:])))
    raise SystemExit(f"no summary line in callgrind's dump {dumps[-1]}")


def instructions(events: Mapping[str, int]) -> float:
    return events["Ir"]


def estimated_cycles(events: Mapping[str, int]) -> float:
    """KCachegrind's cycle estimate from callgrind's simulation: an instruction costs 1, a first-level cache miss
    (instruction fetch, data read or write) 10, a last-level miss 100, a mispredicted branch (conditional or
    indirect) 10. The simulated caches have the host's sizes; what the kernel and other processes evict is not
    simulated (benchmarks/README.md, "--cycles")."""
    get = events.get
    first_level = get("I1mr", 0) + get("D1mr", 0) + get("D1mw", 0)
    last_level = get("ILmr", 0) + get("DLmr", 0) + get("DLmw", 0)
    return events["Ir"] + 10 * first_level + 100 * last_level + 10 * (get("Bcm", 0) + get("Bim", 0))


def count_instructions(
    loops: Dict[str, Callable[[int], None]],
    writer: NullWriter,
    configure: Callable[[str], None],
    quick: bool,
    caps: Optional[Dict[str, int]] = None,
    measure: Callable[[Mapping[str, int]], float] = instructions,
) -> Tuple[Dict[str, float], Dict[str, int], Dict[str, float]]:
    """Per configuration: instructions per call (or what ``measure`` makes of callgrind's counts, such as
    ``estimated_cycles``), (I(3n) - I(n)) / 2n, which cancels what a loop costs once
    (entering it, a first call's lazy work); the n used; spans per measured call. A 2-call probe (which also
    warms the loop up) sizes n to about ``budget`` instructions. Each measurement starts from ``configure``.
    I(n) and I(3n) are the least of ``repeats`` counts: what varies between counts of the same loop only adds
    instructions (the first count after the probe is often higher: the loop still warms up)."""
    budget, low, high, repeats = (1e6, 2, 100, 1) if quick else (2e7, 20, 2000, 3)
    per_call: Dict[str, float] = {}
    sizes: Dict[str, int] = {}
    spans: Dict[str, float] = {}
    for name, loop in loops.items():
        if name == EMPTY:
            continue
        configure(name)
        probe = events_of(loop, 2)["Ir"] / 2
        n = max(low, min(high, int(budget / max(probe, 1.0))))
        cap = (caps or {}).get(name)
        n = min(n, cap // 3) if cap else n
        counts: Dict[int, List[float]] = {n: [], 3 * n: []}
        before = writer.spans
        for _ in range(repeats):
            for calls in counts:
                configure(name)
                counts[calls].append(measure(events_of(loop, calls)))
        per_call[name] = (min(counts[3 * n]) - min(counts[n])) / (2 * n)
        sizes[name] = n
        spans[name] = (writer.spans - before) / (4 * n * repeats)
    return per_call, sizes, spans


# --- report ---


def us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def medians(samples: Samples) -> Dict[str, Dict[str, float]]:
    return {clock: {name: statistics.median(v) for name, v in per.items()} for clock, per in samples.items()}


def report(samples: Samples, spans_per_call: Dict[str, float], rounds: int, labels: Dict[str, str]) -> None:
    """``labels``: configuration prefix -> what one call is, e.g. {"pg2": "psycopg2 execute"}."""
    med = medians(samples)

    def over(clock: str, name: str) -> float:
        return med[clock][name] - med[clock][baseline(name) or name]

    def paired(name: str) -> List[float]:
        """Wall traced - untraced within each round: how much that difference moves between rounds."""
        base = samples["wall"][baseline(name) or name]
        return [t - u for t, u in zip(samples["wall"][name], base)]

    print(f"Per-call time in us, median of {rounds} rounds; overhead = median - the call's untraced median")
    print("  wall = perf_counter_ns (includes any server round trip); cpu = thread_time_ns of this thread")
    header = (
        f"{'configuration':<28}{'wall':>9}{'min':>9}{'max':>9}{'wall ovh':>10}{'per-round range':>20}"
        f"{'cpu':>9}{'cpu ovh':>9}{'spans/call':>12}"
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
            f"{name:<28}{us(med['wall'][name]):>9}{us(min(wall)):>9}{us(max(wall)):>9}{wall_ovh:>10}{spread:>20}"
            f"{us(med['cpu'][name]):>9}{cpu_ovh:>9}{spans_per_call[name]:>12.2f}"
        )
    print()

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b > 0 else "n/a"

    print("Ratios of medians: wall totals, wall overheads, cpu overheads (traced - untraced of each side)")
    print(f"  {'':<36}{'wall':>8}{'wall ovh':>10}{'cpu ovh':>9}")
    for prefix in labels:
        v2, dd, bare = f"{prefix}_v2", f"{prefix}_ddtrace", f"{prefix}_bare_span"
        for a, b in ((v2, dd), (v2, bare), (dd, bare)):
            cells = [
                ratio(med["wall"][a], med["wall"][b]),
                ratio(over("wall", a), over("wall", b)),
                ratio(over("cpu", a), over("cpu", b)),
            ]
            print(f"  {a + ' / ' + b:<36}{cells[0]:>8}{cells[1]:>10}{cells[2]:>9}")
    print()
    width = max(map(len, labels.values())) + 2
    print("Per-call overhead over untraced, us (wall / cpu); the untraced column is the whole call:")
    print(f"  {'':<{width}}" + "".join(f"{kind:>17}" for kind in KINDS))
    for prefix, label in labels.items():
        cells = [f"{us(med['wall'][f'{prefix}_untraced'])} / {us(med['cpu'][f'{prefix}_untraced'])}"]
        cells += [f"{us(over('wall', f'{prefix}_{k}'))} / {us(over('cpu', f'{prefix}_{k}'))}" for k in KINDS[1:]]
        print(f"  {label:<{width}}" + "".join(f"{c:>17}" for c in cells))
    print(f"  (empty loop, included in every row: {us(med['wall'][EMPTY])} us)")
    matched = {p: ("v2", *kinds_of(p, med["cpu"])[len(KINDS) :]) for p in labels}
    cpu = {p: {k: over("cpu", f"{p}_{k}") / 1000 for k in kinds} for p, kinds in matched.items()}
    report_matched(cpu, labels, "cpu us", "{:.2f}")
    print()


def report_allocations(peaks: Dict[str, float], labels: Dict[str, str], calls: int) -> None:
    width = max(map(len, labels.values())) + 2
    print(f"Bytes allocated during one call (tracemalloc peak, median of {calls} calls); traced: over untraced")
    print(f"  {'':<{width}}" + "".join(f"{kind:>13}" for kind in KINDS) + f"{'v2/ddtrace':>12}")
    for prefix, label in labels.items():
        base = peaks[f"{prefix}_untraced"]
        extra = {k: peaks[f"{prefix}_{k}"] - base for k in KINDS[1:]}
        ratio = f"{extra['v2'] / extra['ddtrace']:.2f}" if extra["ddtrace"] > 0 else "n/a"
        cells = [f"{base:.0f}"] + [f"{extra[k]:.0f}" for k in KINDS[1:]]
        print(f"  {label:<{width}}" + "".join(f"{c:>13}" for c in cells) + f"{ratio:>12}")
    print()


def report_instructions(
    per_call: Dict[str, float], sizes: Dict[str, int], labels: Dict[str, str], unit: str = "instructions"
) -> None:
    print(f"{unit.capitalize()} per call (callgrind, (I(3n) - I(n)) / 2n, this thread only); overhead = over untraced")
    header = f"{'configuration':<28}{'n':>6}{'per call':>14}{'overhead':>14}"
    print(header)
    print("-" * len(header))
    for name, count in per_call.items():
        base = baseline(name)
        overhead = f"{count - per_call[base]:.0f}" if base else "-"
        print(f"{name:<28}{sizes[name]:>6}{count:>14.0f}{overhead:>14}")
    print()
    width = max(map(len, labels.values())) + 2
    print(f"Per-call {unit} over untraced (the untraced column is the whole call), and ratios of overheads:")
    print(f"  {'':<{width}}" + "".join(f"{kind:>13}" for kind in KINDS) + f"{'v2/ddtrace':>12}{'v2/bare':>9}")
    for prefix, label in labels.items():
        row = instruction_row(per_call, prefix)
        ratios = [f"{row['v2'] / row[k]:.2f}" if row[k] > 0 else "n/a" for k in ("ddtrace", "bare_span")]
        cells = [f"{row[k]:.0f}" for k in KINDS]
        print(f"  {label:<{width}}" + "".join(f"{c:>13}" for c in cells) + f"{ratios[0]:>12}{ratios[1]:>9}")
    report_matched({p: instruction_row(per_call, p) for p in labels}, labels, unit, "{:.0f}")
    print()


def kinds_of(prefix: str, measured: Mapping[str, Any]) -> Tuple[str, ...]:
    """The five configurations, and the matched bare spans (``MATCHED``) measured for ``prefix``."""
    return KINDS + tuple(kind for kind in MATCHED if f"{prefix}_{kind}" in measured)


def report_matched(rows: Dict[str, Dict[str, float]], labels: Dict[str, str], unit: str, fmt: str) -> None:
    """The calls also measured as a matched bare span (``MATCHED``): v2 against that."""
    for prefix, row in rows.items():
        for kind in MATCHED:
            if kind in row:
                ratio = f"{row['v2'] / row[kind]:.2f}" if row[kind] > 0 else "n/a"
                print(
                    f"  {labels[prefix]}: {MATCHED_LABELS[kind]} {fmt.format(row[kind])} {unit}"
                    f" over untraced; v2 / that {ratio}"
                )


def instruction_row(per_call: Dict[str, float], prefix: str) -> Dict[str, float]:
    """One case's instructions per call: untraced as the whole call, the others as the overhead over it."""
    base = per_call[f"{prefix}_untraced"]
    return {k: per_call[f"{prefix}_{k}"] - (base if k != "untraced" else 0) for k in kinds_of(prefix, per_call)}


def results(
    samples: Samples, peaks: Dict[str, float], labels: Dict[str, str], spans: Dict[str, int]
) -> List[Dict[str, Any]]:
    """Per call: untraced as the whole call, the others as the overhead over it (medians; µs and bytes)."""
    med = medians(samples)
    rows = []
    for prefix, label in labels.items():
        row: Dict[str, Any] = {"call": label, "spans": spans[prefix]}
        kinds = kinds_of(prefix, med["cpu"])
        for clock in ("cpu", "wall"):
            base = med[clock][f"{prefix}_untraced"]
            row[f"{clock}_us"] = {
                k: (med[clock][f"{prefix}_{k}"] - (base if k != "untraced" else 0)) / 1000 for k in kinds
            }
        base = peaks[f"{prefix}_untraced"]
        row["alloc_bytes"] = {k: peaks[f"{prefix}_{k}"] - (base if k != "untraced" else 0) for k in KINDS}
        rows.append(row)
    return rows


def arguments(
    doc: Optional[str], default_rounds: int, argv: Optional[List[str]], *extra: Tuple[str, str]
) -> Tuple[argparse.Namespace, int, float, float]:
    """The options every benchmark takes (plus ``extra`` switches: (flag, help)): the parsed arguments,
    rounds, seconds per round and warm-up seconds."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 short rounds (a few seconds)")
    parser.add_argument("--rounds", type=int, help=f"timed rounds per configuration (default {default_rounds})")
    parser.add_argument("--round-time", type=float, help="seconds per round per configuration (default 0.2)")
    parser.add_argument("--json", metavar="PATH", help="also write the per-call results there (benchmarks/run)")
    parser.add_argument("--profile", metavar="PREFIX", help="instead of timing: cProfile one case's configurations")
    for flag, text in extra:
        parser.add_argument(flag, action="store_true", help=text)
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else default_rounds)
    return args, rounds, args.round_time or (0.05 if args.quick else 0.2), 0.02 if args.quick else 0.1


def main(
    doc: Optional[str],
    cases: Callable[[], Sequence[Case]],
    packages: Sequence[str],
    *,
    versions: str,
    extra: Callable[[], Sequence[Any]] = tuple,
    default_rounds: int = 15,
    argv: Optional[List[str]] = None,
) -> None:
    """Run one benchmark process: set up every case in each mode, check the spans, time the configurations in
    interleaved rounds, measure allocations, print the report (and write ``--json``); with ``--instructions``
    (``--cycles``), count instructions (estimated cycles) per call under callgrind instead of timing. Exits 1 when a
    check failed; timings and
    counts are never judged."""
    args, rounds, round_s, warmup_s = arguments(doc, default_rounds, argv, INSTRUCTIONS, CYCLES)
    if (args.instructions or args.cycles) and args.profile:
        raise SystemExit("--instructions/--cycles and --profile exclude each other")
    if args.instructions or args.cycles:
        under_callgrind(argv, simulate=args.cycles)
    writer = install_null_writer()
    bench = Bench(cases(), packages, extra(), writer)
    try:
        measured(bench, args, rounds, round_s, warmup_s, versions)
    finally:
        bench.close()
    if bench.problems:
        print("\nFAILED checks:\n  " + "\n  ".join(bench.problems))
        raise SystemExit(1)


def measured(
    bench: Bench, args: argparse.Namespace, rounds: int, round_s: float, warmup_s: float, versions: str
) -> None:
    writer = bench.writer
    bench.set_up()
    if tracer._span_aggregator.writer is not writer:
        raise SystemExit("the tracer's writer was replaced during set-up")
    counted = "cycles" if args.cycles else "instructions" if args.instructions else None
    unit = "estimated cycles" if args.cycles else "instructions"
    method = f"{unit} counted by callgrind" if counted else f"{rounds} rounds x ~{round_s}s"
    print(
        f"python {sys.version.split()[0]}, ddtrace {ddtrace.__version__}, ddtrace-integrations "
        f"{ddtrace_integrations.__version__}, {versions}; {method} per configuration; "
        "spans go to a NullWriter (nothing sent)"
    )
    print(f"one process, three states: {bench.patching.summary()}")
    print()
    loops = bench.loops()
    labels = {c.prefix: c.label for c in bench.cases}
    bench.describe(loops)
    if args.profile:
        profile(bench, loops, args.profile, 2000 if args.quick else 20000)
        return
    start = time.perf_counter()
    caps = {f"{c.prefix}_{k}": c.max_calls for c in bench.cases if c.max_calls for k in KINDS}
    if counted:
        count = estimated_cycles if args.cycles else instructions
        per_call, sizes, spans_per_call = count_instructions(loops, writer, bench.configure, args.quick, caps, count)
        report_instructions(per_call, sizes, labels, unit)
        bench.check_spans(spans_per_call)
        print(f"measured in {time.perf_counter() - start:.1f}s (under callgrind)")
        if args.json:
            rows = [
                {"call": c.label, "spans": c.spans, counted: instruction_row(per_call, c.prefix)} for c in bench.cases
            ]
            with open(args.json, "w") as f:
                json.dump({"calls": rows, "problems": bench.problems}, f, indent=1)
        return
    samples, spans_per_call = measure(loops, writer, rounds, round_s, warmup_s, bench.configure, caps)
    report(samples, spans_per_call, rounds, labels)
    bench.check_spans(spans_per_call)
    calls = 20 if args.quick else 100
    peaks = bench.allocations(loops, calls)
    report_allocations(peaks, labels, calls)
    print(f"measured in {time.perf_counter() - start:.1f}s")
    if args.json:
        spans = {c.prefix: c.spans for c in bench.cases}
        with open(args.json, "w") as f:
            json.dump({"calls": results(samples, peaks, labels, spans), "problems": bench.problems}, f, indent=1)
