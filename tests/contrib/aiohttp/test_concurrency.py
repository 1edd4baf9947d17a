"""aiohttp's client under load against a real loopback server in another process: 10,000 asyncio tasks on one
``ClientSession``, each request under its own root span to its own path. Each trace holds its own request
only (and the connector's span inside it)."""

from __future__ import annotations

import aiohttp
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import in_tasks
from helpers import marker
from helpers import patched_fixture
from helpers import task_root

TASKS = 10_000


patched = patched_fixture(aiohttp=True)


async def test_10000_tasks_each_trace_their_own_request(patched, spans, echo):
    async def task(session: aiohttp.ClientSession, i: int) -> str:
        with task_root(i):
            async with session.get(f"{echo}/{marker(i)}") as response:
                return await response.text()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
        results = await in_tasks(TASKS, lambda i: task(session, i))
    assert results == [f"/{marker(i)}" for i in range(TASKS)]

    def expected(own: str) -> list:
        meta = {"http.url": f"{echo}/{own}", "http.status_code": "200", "component": "aiohttp_client"}
        # the connector hands out a connection (pooled or new) inside each request, as under ddtrace
        connect = ("TCPConnector.connect", "TCPConnector.connect", "aiohttp.request", {"component": "aiohttp"})
        return [("aiohttp.request", "aiohttp.request", TASK_ROOT, meta), connect]

    assert_task_traces(spans.spans, TASKS, expected, ["http.url", "http.status_code", "component"])
