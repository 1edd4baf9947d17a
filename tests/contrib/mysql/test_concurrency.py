"""PyMySQL and mysql-connector under load against the real MariaDB: 64 threads at once, each call under its own
root span. Each trace holds its own query only."""

from __future__ import annotations

import os

import mysql.connector
import pymysql
import pytest
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import marker
from helpers import patched_fixture
from helpers import queries_in_threads

ARGS = {"host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1"), "port": int(os.environ.get("DDI_MYSQL_PORT", "3306"))}
THREADS, CALLS_PER_THREAD = 64, 20
CONNECTIONS = 16
DRIVERS = {  # name -> (connect, query span name, component)
    "pymysql": (lambda: pymysql.connect(**ARGS, user="root", autocommit=True), "pymysql.query", "pymysql"),
    "connector": (lambda: mysql.connector.connect(**ARGS, user="root", autocommit=True), "mysql.query", "mysql"),
}


patched = patched_fixture(mysql=True, pymysql=True)


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_64_threads_each_trace_their_own_query(patched, spans, driver):
    connect, span_name, component = DRIVERS[driver]
    connections = [connect() for _ in range(CONNECTIONS)]
    spans.clear()

    def query(own: str, conn: object) -> str:
        cur = conn.cursor()  # type: ignore[attr-defined]
        try:
            cur.execute(f"SELECT '{own}'")
            return cur.fetchone()[0]
        finally:
            cur.close()

    results = queries_in_threads(connections, THREADS, CALLS_PER_THREAD, query)
    assert results == [marker(i) for i in range(THREADS * CALLS_PER_THREAD)]
    assert_task_traces(
        spans.spans,
        THREADS * CALLS_PER_THREAD,
        lambda own: [(span_name, f"SELECT '{own}'", TASK_ROOT, {"component": component})],
        ["component"],
    )
