"""httpx under load against a real loopback server in another process: 10,000 asyncio tasks on one
``AsyncClient`` and 64 threads on one ``Client``, each request under its own root span to its own path. Each
trace holds its own request only.

The slowest module of the load tests (about 30 s): httpx's async stack (anyio, httpcore) alone costs about 2 ms
of CPU a request on a 2-core machine, traced or not."""

from __future__ import annotations

import asyncio

import httpx
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import in_tasks
from helpers import in_threads
from helpers import marker
from helpers import patched_fixture
from helpers import task_root

TASKS = 10_000
THREADS, CALLS_PER_THREAD = 64, 20


patched = patched_fixture(httpx=True)


def expected(echo: str):
    def spans_of(own: str) -> list:
        meta = {"http.url": f"{echo}/{own}", "http.status_code": "200", "component": "httpx"}
        return [("http.request", "http.request", TASK_ROOT, meta)]

    return spans_of


async def test_10000_async_tasks_each_trace_their_own_request(patched, spans, echo):
    # httpcore's pool scans its queue of waiting requests on every release, quadratic in thousands of waiters: at most
    # 50 requests are handed to it at once, while all 10,000 tasks stay inside their root spans.
    calls = asyncio.Semaphore(50)

    async def task(client: httpx.AsyncClient, i: int) -> str:
        with task_root(i):
            async with calls:
                return (await client.get(f"{echo}/{marker(i)}")).text

    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        results = await in_tasks(TASKS, lambda i: task(client, i))
    assert results == [f"/{marker(i)}" for i in range(TASKS)]
    assert_task_traces(spans.spans, TASKS, expected(echo), ["http.url", "http.status_code", "component"])


def test_64_threads_each_trace_their_own_request(patched, spans, echo):
    with httpx.Client(limits=httpx.Limits(max_connections=THREADS), timeout=60) as client:

        def call(i: int) -> str:
            with task_root(i):
                return client.get(f"{echo}/{marker(i)}").text

        results = in_threads(THREADS, CALLS_PER_THREAD, call)
    assert results == [f"/{marker(i)}" for i in range(THREADS * CALLS_PER_THREAD)]
    assert_task_traces(
        spans.spans, THREADS * CALLS_PER_THREAD, expected(echo), ["http.url", "http.status_code", "component"]
    )
