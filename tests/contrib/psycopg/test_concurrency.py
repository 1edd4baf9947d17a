"""psycopg 3 under load against the real PostgreSQL: 10,000 asyncio tasks (async connections) and 64 threads
(sync connections) at once, each call under its own root span. Each trace holds its own query only."""

from __future__ import annotations

import psycopg
from helpers import PG_DSN
from helpers import TASK_ROOT
from helpers import AsyncConnectionPool
from helpers import assert_task_traces
from helpers import in_tasks
from helpers import marker
from helpers import patched_fixture
from helpers import queries_in_threads
from helpers import task_root

TASKS = 10_000
THREADS, CALLS_PER_THREAD = 64, 20
CONNECTIONS = 16  # the server takes 100 in all, and other tests run beside this one


patched = patched_fixture(psycopg=True)


def expected(own: str) -> list:
    return [("postgres.query", f"SELECT '{own}'", TASK_ROOT, {"db.name": "test", "component": "psycopg"})]


async def test_10000_async_tasks_each_trace_their_own_query(patched, spans):
    pool = AsyncConnectionPool([await psycopg.AsyncConnection.connect(PG_DSN) for _ in range(CONNECTIONS)])
    spans.clear()

    async def query(own: str, conn: psycopg.AsyncConnection) -> str:
        async with conn.cursor() as cur:
            await cur.execute(f"SELECT '{own}'")
            return (await cur.fetchone())[0]

    async def task(i: int) -> str:
        with task_root(i):
            return await pool.run(lambda conn: query(marker(i), conn))

    try:
        results = await in_tasks(TASKS, task)
    finally:
        for conn in pool.connections:
            await conn.close()
    assert results == [marker(i) for i in range(TASKS)]
    assert_task_traces(spans.spans, TASKS, expected, ["db.name", "component"])


def test_64_threads_each_trace_their_own_query(patched, spans):
    connections = [psycopg.connect(PG_DSN, autocommit=True) for _ in range(CONNECTIONS)]
    spans.clear()

    def query(own: str, conn: psycopg.Connection) -> str:
        with conn.cursor() as cur:
            cur.execute(f"SELECT '{own}'")
            return cur.fetchone()[0]

    results = queries_in_threads(connections, THREADS, CALLS_PER_THREAD, query)
    assert results == [marker(i) for i in range(THREADS * CALLS_PER_THREAD)]
    assert_task_traces(spans.spans, THREADS * CALLS_PER_THREAD, expected, ["db.name", "component"])
