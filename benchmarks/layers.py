"""Where v2's cost over a bare span goes, for one row of a benchmark: its v2 call counted in three states.

Run: ``python benchmarks/layers.py bench_sqlite3 sqlcur`` (instructions), or with ``--cycles`` (estimated cycles,
see benchmarks/README.md), ``--quick`` for a smoke run. Needs Python 3.11+ and valgrind, as ``--instructions``.

  v2        the integration as it runs
  no span   its plugins listening, their ``on_start`` and ``on_finish`` doing nothing: no span is made (the
            publisher, the event hub and the plugins' guarded callbacks)
  hub only  its plugins' listeners replaced by a C callable that does nothing (the publisher and the event hub)

beside untraced, bare span and ddtrace, each as (I(3n) - I(n)) / 2n over untraced. Then the split: the publisher
and the hub (hub only), the plugins' callbacks (no span - hub only), the span the plugins make (v2 - no span)
against the bare span.
"""

from __future__ import annotations

import argparse
import functools
import importlib
from typing import Any
from typing import Callable
from typing import List
from typing import Mapping
from typing import Optional
from typing import Sequence

import _harness
from _harness import CYCLES
from _harness import Bench
from _harness import Case
from _harness import count_instructions
from _harness import estimated_cycles
from _harness import install_null_writer
from _harness import instructions
from _harness import plugins_module
from _harness import under_callgrind

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import tracing_plugins
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

STATES = ("no_span", "hub_only")
_NOTHING: Callable[..., Any] = {}.get  # a C callable taking one or two arguments, doing nothing


class States:
    """Puts the integration's plugins in one of ``STATES`` (or back as they run)."""

    def __init__(self, integration: str) -> None:
        module = importlib.import_module(plugins_module(integration))
        self.classes = tracing_plugins.plugins_in(module)
        self.undo: List[Callable[[], None]] = []

    def plugins(self) -> List[TracingPlugin]:
        return [tracing_plugins.get(cls) for cls in self.classes]

    def restore(self) -> None:
        while self.undo:
            self.undo.pop()()

    def set(self, state: Optional[str]) -> None:
        self.restore()
        for plugin in self.plugins():
            if state == "no_span":  # (a receive's span is made in on_finish)
                for hook in ("on_start", "on_finish"):
                    setattr(plugin, hook, _no_span)
                    self.undo.append(functools.partial(plugin.__dict__.pop, hook, None))
            elif state == "hub_only":
                for kind, listener in (("started", plugin._started), ("ended", plugin._ended)):
                    event = f"context.{kind}.{plugin.event_name}"
                    dd.core.reset_listeners(event, listener)
                    dd.core.on(event, _NOTHING, plugin._listener_name)
                    self.undo.append(functools.partial(_relisten, event, listener, plugin._listener_name))


def _no_span(*args: Any) -> None:
    pass


def _relisten(event: str, listener: Callable[..., Any], name: str) -> None:
    dd.core.reset_listeners(event, _NOTHING)
    dd.core.on(event, listener, name)


def layers(bench: Bench, case: Case, quick: bool, measure: Callable[[Mapping[str, int]], float], unit: str) -> None:
    loops = bench.loops()
    prefix = case.prefix
    states = States(case.integration)
    chosen = {f"{prefix}_{kind}": loops[f"{prefix}_{kind}"] for kind in ("untraced", "bare_span", "ddtrace", "v2")}
    chosen.update({f"{prefix}_{state}": loops[f"{prefix}_v2"] for state in STATES})

    def configure(name: str) -> None:
        kind = name.split("_", 1)[1]
        bench.configure(f"{prefix}_v2" if kind in STATES else name)
        states.set(kind if kind in STATES else None)

    caps = {name: case.max_calls for name in chosen if case.max_calls}
    per_call, sizes, _ = count_instructions(chosen, bench.writer, configure, quick, caps, measure)
    states.set(None)
    base = per_call[f"{prefix}_untraced"]
    over = {name.split("_", 1)[1]: value - base for name, value in per_call.items()}
    print(f"{case.label}: {unit} per call over untraced (untraced: the whole call, {base:.0f})")
    for kind in ("bare_span", "ddtrace", "v2", *STATES):
        print(f"  {kind:<10}{over[kind]:>12.0f}   (n = {sizes[f'{prefix}_{kind}']})")
    v2, bare, no_span, hub = over["v2"], over["bare_span"], over["no_span"], over["hub_only"]
    print(f"\n  v2 - bare span                      {v2 - bare:>10.0f}  ({v2 / bare:.2f} x the bare span)")
    print(f"  publisher and event hub (hub only)  {hub:>10.0f}")
    print(f"  plugins' callbacks (no span - hub)  {no_span - hub:>10.0f}")
    print(f"  the plugins' span (v2 - no span)    {v2 - no_span:>10.0f}  (the bare span: {bare:.0f})")


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmark", help="a benchmark module, e.g. bench_sqlite3")
    parser.add_argument("prefix", help="one of its rows, e.g. sqlcur")
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument(CYCLES[0], action="store_true", help=CYCLES[1])
    args = parser.parse_args(argv)
    under_callgrind(argv, simulate=args.cycles)
    module = importlib.import_module(args.benchmark)

    def run(
        doc: Any, cases: Callable[[], Sequence[Case]], packages: Sequence[str], extra: Any = tuple, **_: Any
    ) -> None:
        chosen = [case for case in cases() if case.prefix == args.prefix]
        if not chosen:
            raise SystemExit(f"{args.benchmark} has no row {args.prefix!r}")
        bench = Bench(chosen, packages, extra(), install_null_writer())
        try:
            bench.set_up()
            unit = "estimated cycles" if args.cycles else "instructions"
            layers(bench, chosen[0], args.quick, estimated_cycles if args.cycles else instructions, unit)
        finally:
            bench.close()

    module.main = run  # type: ignore[attr-defined]  # the benchmark's own entry point hands over its cases
    _harness.main = run
    module.run()


if __name__ == "__main__":
    main()
