"""sqlite3 under load: 64 threads sharing 16 connections to one file database (each connection used by one
thread at a time), each call under its own root span. Each trace holds its own query only."""

from __future__ import annotations

import sqlite3

from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import marker
from helpers import patched_fixture
from helpers import queries_in_threads

THREADS, CALLS_PER_THREAD = 64, 20
CONNECTIONS = 16

patched = patched_fixture(sqlite3=True)


def expected(own: str) -> list:
    return [("sqlite.query", f"SELECT '{own}'", TASK_ROOT, {"db.system": "sqlite", "component": "sqlite"})]


def test_64_threads_each_trace_their_own_query(patched, spans, tmp_path):
    path = str(tmp_path / "load.db")
    connections = [sqlite3.connect(path, timeout=30, check_same_thread=False) for _ in range(CONNECTIONS)]
    spans.clear()

    def query(own: str, conn: sqlite3.Connection) -> str:
        return conn.execute(f"SELECT '{own}'").fetchone()[0]

    results = queries_in_threads(connections, THREADS, CALLS_PER_THREAD, query)
    assert results == [marker(i) for i in range(THREADS * CALLS_PER_THREAD)]
    assert_task_traces(spans.spans, THREADS * CALLS_PER_THREAD, expected, ["db.system", "component"])
