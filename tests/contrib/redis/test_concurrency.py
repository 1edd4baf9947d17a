"""redis under load against the real Redis: 32 threads on one client (its connection pool), and 2,000 asyncio
tasks on one asyncio client (a blocking pool of 50 connections), each command and pipeline under its task's own
root span. Each trace holds its own task's calls only, with its own tags."""

from __future__ import annotations

import asyncio
import os

import redis
import redis.asyncio as aredis
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import in_tasks
from helpers import in_threads
from helpers import marker
from helpers import patched_fixture
from helpers import task_root

PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))
THREADS, CALLS_PER_THREAD, TASKS = 32, 20, 2_000
CHECKED = ["redis.raw_command", "redis.client_name"]

patched = patched_fixture(redis=True)


def spans_of(client_name: str):
    def expected(own: str) -> list:
        meta = {"redis.client_name": client_name}
        return [
            ("redis.command", "SET", TASK_ROOT, {**meta, "redis.raw_command": f"SET ddi:{own} {own}"}),
            ("redis.command", "GET\nDEL", TASK_ROOT, {**meta, "redis.raw_command": f"GET ddi:{own}\nDEL ddi:{own}"}),
        ]

    return expected


def test_threads_each_trace_their_own_commands(patched, spans):
    client = redis.Redis(host="127.0.0.1", port=PORT, db=7, client_name="threads", max_connections=THREADS)

    def call(i: int) -> bytes:
        with task_root(i):
            own = marker(i)
            client.set(f"ddi:{own}", own)
            return client.pipeline().get(f"ddi:{own}").delete(f"ddi:{own}").execute()[0]

    try:
        results = in_threads(THREADS, CALLS_PER_THREAD, call)
    finally:
        client.close()
    assert results == [marker(i).encode() for i in range(THREADS * CALLS_PER_THREAD)]
    assert_task_traces(spans.spans, THREADS * CALLS_PER_THREAD, spans_of("threads"), CHECKED)


def test_asyncio_tasks_each_trace_their_own_commands(patched, spans):
    async def run() -> list:
        pool = aredis.BlockingConnectionPool(host="127.0.0.1", port=PORT, db=7, client_name="tasks", max_connections=50)
        client = aredis.Redis(connection_pool=pool)

        async def task(i: int) -> bytes:
            with task_root(i):
                own = marker(i)
                await client.set(f"ddi:{own}", own)
                async with client.pipeline() as pipe:
                    return (await pipe.get(f"ddi:{own}").delete(f"ddi:{own}").execute())[0]

        try:
            return await in_tasks(TASKS, task)
        finally:
            await client.aclose()

    results = asyncio.run(run())
    assert results == [marker(i).encode() for i in range(TASKS)]
    assert_task_traces(spans.spans, TASKS, spans_of("tasks"), CHECKED)
