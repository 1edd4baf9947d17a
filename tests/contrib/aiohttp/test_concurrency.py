"""aiohttp's client under load against a real loopback server in another process: 10,000 asyncio tasks on one
``ClientSession``, each request under its own root span to its own path. Each trace holds its own request
only (and the connector's span inside it)."""

from __future__ import annotations

import asyncio
from typing import Iterator

import aiohttp
import pytest
from ddtrace.trace import tracer
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import marker
from http_server import serving_in_child

import ddtrace_integrations

TASKS = 10_000


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with serving_in_child() as url:
        yield url


@pytest.fixture
def patched():
    ddtrace_integrations.patch(aiohttp=True)
    yield
    ddtrace_integrations.unpatch(aiohttp=True)


async def test_10000_tasks_each_trace_their_own_request(patched, spans, echo):
    async def task(session: aiohttp.ClientSession, i: int) -> str:
        with tracer.trace(TASK_ROOT) as root:
            root.set_tag("task", marker(i))
            async with session.get(f"{echo}/{marker(i)}") as response:
                return await response.text()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as session:
        results = await asyncio.gather(*(task(session, i) for i in range(TASKS)))
    assert results == [f"/{marker(i)}" for i in range(TASKS)]

    def expected(own: str) -> list:
        meta = {"http.url": f"{echo}/{own}", "http.status_code": "200", "component": "aiohttp_client"}
        # the connector hands out a connection (pooled or new) inside each request, as under ddtrace
        connect = ("TCPConnector.connect", "TCPConnector.connect", "aiohttp.request", {"component": "aiohttp"})
        return [("aiohttp.request", "aiohttp.request", TASK_ROOT, meta), connect]

    assert_task_traces(spans.spans, TASKS, expected, ["http.url", "http.status_code", "component"])
