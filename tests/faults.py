"""Fault injection, test-only: ``ddtrace-integrations run python tests/faults.py WORKLOAD`` runs the workload with one
hook of one integration raising (tests/contrib/test_faults.py).

``DDI_TEST_FAULT=<integration>:<hook>``, the hook one of

- ``on_start``, ``on_return``, ``on_finish``: that method of every plugin class the integration's plugin module
  defines (``on_return`` only where a class defines it). ``on_start`` raises after the real one ran (its span is
  then open), the other two raise instead of the real one (the span is left for the fault isolation to end);
- ``build``, ``rewrite``, ``done``: that hook of every publisher ``Event`` named after one of the integration's
  packages (where the event has it), raising instead of the real one.

Nothing in the package is changed for this: the hooks are wrapped from here, as plugins are made and events built,
before the workload imports its libraries (which is when they are patched). At exit ``DDI_TEST_FAULT_REPORT`` gets
a JSON report: the hooks the integration has, how often each injected fault raised, which plugins are still
enabled, the spans started and never finished, the package's log records. Then a query through a second
integration (psycopg, or asyncpg when psycopg is the one failing) shows the others still trace.
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import runpy
import sys
from collections import Counter
from typing import Any
from typing import Dict
from typing import List
from typing import Set

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import tracing_plugins
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

PLUGIN_HOOKS = ("on_start", "on_return", "on_finish")
PUBLISHER_HOOKS = ("build", "rewrite", "done")
WITNESS = "SELECT 'fault witness'"
PG_DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


class InjectedFault(RuntimeError):
    """What an injected hook raises: never seen by the application."""


class Faults:
    def __init__(self, integration: str, hook: str) -> None:
        self.integration, self.hook = integration, hook
        self.module = f"ddtrace_integrations.tracing_plugins.contrib.{integration}"
        self.available: Set[str] = set()
        self.raised: Counter = Counter()
        self.plugins: List[TracingPlugin] = []
        self.open: Dict[int, Any] = {}  # id -> the span itself (kept alive: its id is not reused)
        self.records: List[Dict[str, Any]] = []
        self._packages: Set[str] = set()

    def packages(self) -> Set[str]:
        if not self._packages:
            module = importlib.import_module(self.module)
            self._packages = {cls.package for cls in tracing_plugins.plugins_in(module)}
        return self._packages

    def fault(self, where: str) -> InjectedFault:
        self.raised[where] += 1
        return InjectedFault(f"injected {self.hook} fault in {where}")

    # --- plugins ---

    def plugin_made(self, plugin: TracingPlugin) -> None:
        if type(plugin).__module__ != self.module:
            return
        self.plugins.append(plugin)
        defines_return = type(plugin).on_return is not TracingPlugin.on_return
        self.available.update(h for h in PLUGIN_HOOKS if h != "on_return" or defines_return)
        name = type(plugin).__name__
        if self.hook == "on_start":
            real_start = plugin.on_start

            def on_start(ctx: Any) -> None:
                real_start(ctx)
                raise self.fault(name)

            plugin.on_start = on_start  # type: ignore[method-assign]
        elif self.hook == "on_finish":

            def on_finish(ctx: Any, exc_info: Any) -> None:
                raise self.fault(name)

            plugin.on_finish = on_finish  # type: ignore[method-assign]
        elif self.hook == "on_return" and defines_return:

            def on_return(ctx: Any) -> None:
                raise self.fault(name)

            plugin.on_return = on_return  # type: ignore[method-assign]

    # --- publishers ---

    def event_made(self, event: Event) -> None:
        if event.name.split(".", 1)[0] not in self.packages():
            return
        self.available.update(h for h in PUBLISHER_HOOKS if getattr(event, h) is not None)
        if self.hook in PUBLISHER_HOOKS and getattr(event, self.hook) is not None:
            name = event.name

            def failing(*args: Any) -> Any:
                raise self.fault(name)

            setattr(event, self.hook, failing)

    # --- what happened ---

    def span_started(self, span: Any) -> None:
        self.open[id(span)] = span

    def span_finished(self, span: Any) -> None:
        self.open.pop(id(span), None)

    def report(self) -> Dict[str, Any]:
        return {
            "available": sorted(self.available),
            "raised": dict(self.raised),
            "plugins": {type(p).__name__: p.enabled for p in self.plugins},
            "open_spans": sorted(span.name for span in self.open.values()),
            "records": self.records,
        }


class _Records(logging.Handler):
    def __init__(self, records: List[Dict[str, Any]]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"logger": record.name, "level": record.levelname, "message": record.getMessage()})


def install(integration: str, hook: str) -> Faults:
    faults = Faults(integration, hook)
    plugin_init, event_init = TracingPlugin.__init__, Event.__init__

    def init_plugin(self: TracingPlugin) -> None:
        plugin_init(self)
        faults.plugin_made(self)

    def init_event(self: Event, *args: Any, **kwargs: Any) -> None:
        event_init(self, *args, **kwargs)
        faults.event_made(self)

    TracingPlugin.__init__ = init_plugin  # type: ignore[method-assign]
    Event.__init__ = init_event  # type: ignore[method-assign]
    dd.core.on("trace.span_start", faults.span_started, "ddi-faults")
    dd.core.on("trace.span_finish", faults.span_finished, "ddi-faults")
    logger = logging.getLogger("ddtrace_integrations")
    logger.setLevel(logging.DEBUG)  # the publishers' guards log at debug level
    logger.addHandler(_Records(faults.records))
    return faults


def witness(integration: str) -> None:
    """One query through an integration other than the failing one."""
    if integration == "psycopg":
        import asyncio

        import asyncpg

        async def query() -> None:
            conn = await asyncpg.connect(PG_DSN)
            await conn.execute(WITNESS)
            await conn.close()

        asyncio.run(query())
    else:
        import psycopg

        with psycopg.connect(PG_DSN) as conn:
            conn.execute(WITNESS)


def main() -> None:
    integration, hook = os.environ["DDI_TEST_FAULT"].split(":")
    assert hook in PLUGIN_HOOKS + PUBLISHER_HOOKS, hook
    faults = install(integration, hook)

    def write_report() -> None:  # runs before ddtrace's own exit hooks (registered earlier) flush the spans
        with open(os.environ["DDI_TEST_FAULT_REPORT"], "w") as f:
            json.dump(faults.report(), f)

    atexit.register(write_report)
    workload = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(workload)))
    runpy.run_path(workload, run_name="__main__")
    witness(integration)


if __name__ == "__main__":
    main()
