"""Cost of tracing one sqlite3 call, in one process.

Run: ``python benchmarks/bench_sqlite3.py`` (about a minute) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call, each on an in-memory database opened once per configuration's state:
  sqlcur   ``cursor.execute("SELECT 1")``
  sqlconn  ``connection.execute("SELECT 1")`` (the shortcut: a cursor made per call)
each as untraced, bare span, ddtrace (its own integration), v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import sqlite3
from typing import Any
from typing import List
from typing import Optional

from _harness import Call
from _harness import Case
from _harness import main

QUERY = "SELECT 1"


def cursor_execute(mode: str) -> Call:
    conn = sqlite3.connect(":memory:")
    cursor = conn.cursor()

    def call() -> Any:
        return cursor.execute(QUERY)

    call.close = conn.close  # type: ignore[attr-defined]
    return call


def connection_execute(mode: str) -> Call:
    conn = sqlite3.connect(":memory:")

    def call() -> Any:
        return conn.execute(QUERY)

    call.close = conn.close  # type: ignore[attr-defined]
    return call


def cases() -> List[Case]:
    return [
        Case("sqlite3 cursor execute", "sqlcur", "sqlite3", cursor_execute),
        Case("sqlite3 connection execute", "sqlconn", "sqlite3", connection_execute),
    ]


def run(argv: Optional[List[str]] = None) -> None:
    main(__doc__, cases, ("sqlite3",), versions=f"SQLite {sqlite3.sqlite_version}", argv=argv)


if __name__ == "__main__":
    run()
