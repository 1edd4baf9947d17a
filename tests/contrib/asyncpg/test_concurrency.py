"""asyncpg under load: 10,000 asyncio tasks at once, each querying under its own root span through a shared
pool, against the real PostgreSQL. Each trace holds its task's query, then the reset query the pool runs as
the task releases its connection (in the task, so in its trace), and nothing of another task's."""

from __future__ import annotations

import asyncpg
from helpers import PG_DSN
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import in_tasks
from helpers import marker
from helpers import patched_fixture
from helpers import task_root

TASKS = 10_000


patched = patched_fixture(asyncpg=True)


async def test_10000_tasks_each_trace_their_own_query(patched, spans):
    pool = await asyncpg.create_pool(PG_DSN, min_size=20, max_size=20)
    async with pool.acquire() as conn:
        reset = conn.get_reset_query()  # what the pool runs on each release
    spans.clear()  # the pool's connect spans, this acquire's reset

    async def task(i: int) -> str:
        with task_root(i):
            async with pool.acquire() as conn:
                return await conn.fetchval(f"SELECT '{marker(i)}'")

    try:
        results = await in_tasks(TASKS, task)
    finally:
        await pool.close()
    assert results == [marker(i) for i in range(TASKS)]
    assert reset
    assert_task_traces(
        spans.spans,
        TASKS,
        lambda own: [("postgres.query", f"SELECT '{own}'", TASK_ROOT, {}), ("postgres.query", reset, TASK_ROOT, {})],
    )
