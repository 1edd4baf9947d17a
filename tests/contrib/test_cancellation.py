"""Cancellation: an asyncio task cancelled in the middle of a traced call, and an ``asyncio.wait_for`` timeout, against
the real services (a ``pg_sleep`` known to run from pg_stat_activity, a loopback request known to have reached the
server, a Kafka consumer waiting on an empty topic, a Redis BLPOP seen blocked in CLIENT LIST).

In each case the application sees its own CancelledError or TimeoutError, the span the call made ended with the
status ddtrace 4.16's own integration gives it (read from ddtrace's code, and seen by running ddtrace's integrations
on the same calls: asyncpg and psycopg trace the call in a ``with tracer.trace(...)`` block, httpx, aiohttp and
redis in a ``core.context_with_*`` block, so the span ends with the CancelledError as its error; aiokafka's
``getone`` catches only ``Exception`` and starts its span after the call returned, so a cancelled ``getone`` has no
span, while ``getmany``'s span covers the call), and right after the call the active span is the one before it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any
from typing import Awaitable
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import Tuple

import pytest
from ddtrace.trace import Span
from ddtrace.trace import tracer
from helpers import PG_DSN
from helpers import SpanRecorder
from helpers import assert_span
from helpers import patched_fixture
from http_server import HANG

import ddtrace_integrations

CANCELLED = "asyncio.exceptions.CancelledError"
Call = Callable[[], Awaitable[Any]]


async def interrupted(call: Call, running: Call, timeout: bool) -> Tuple[Span, Dict[str, Any]]:
    """Runs ``call`` in a task under a span of the application's; once ``running()`` returned (the call is known to
    be in flight), cancels the task, or lets ``asyncio.wait_for`` time the call out. Returns the application's
    span and what the application saw: the exception it caught and the active span right after the call."""
    seen: Dict[str, Any] = {}
    with tracer.trace("app.work") as outer:

        async def app() -> None:
            try:
                if timeout:
                    await asyncio.wait_for(call(), 0.2)
                else:
                    await call()
            except BaseException as e:
                seen["exception"], seen["active"] = e, tracer.current_span()
                raise

        task = asyncio.ensure_future(app())
        if timeout:
            with pytest.raises(asyncio.TimeoutError):
                await task
        else:
            await running()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    return outer, seen


def assert_interrupted(outer: Span, seen: Dict[str, Any], timeout: bool) -> None:
    assert type(seen["exception"]) is (asyncio.TimeoutError if timeout else asyncio.CancelledError), seen
    assert seen["active"] is outer
    assert tracer.current_span() is None


def assert_cancelled_span(span: Span, outer: Span) -> None:
    assert span.duration_ns is not None and span.parent_id == outer.span_id
    assert_span(span, error=1, meta={"error.type": CANCELLED})


# --- PostgreSQL: a query known to run (pg_stat_activity), then cancelled ---


async def until_running(marker: str) -> None:
    import asyncpg

    watcher = await asyncpg.connect(PG_DSN)
    try:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()"
        )
        while not await watcher.fetchval(query, f"%{marker}%"):
            await asyncio.sleep(0.01)  # polls the server for the condition
    finally:
        await watcher.close()


asyncpg_patched = patched_fixture(name="asyncpg_patched", asyncpg=True)


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_asyncpg_query_cancelled(asyncpg_patched: None, spans: SpanRecorder, timeout: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    marker = uuid.uuid4().hex
    query = f"SELECT pg_sleep(10), '{marker}'"
    try:
        outer, seen = await interrupted(lambda: conn.fetchval(query), lambda: until_running(marker), timeout)
        assert await conn.fetchval("SELECT 1") == 1  # asyncpg cancelled the query; the connection still works
    finally:
        await conn.close()
    assert_interrupted(outer, seen, timeout)
    assert_cancelled_span(spans.one("postgres.query", query), outer)


psycopg_patched = patched_fixture(name="psycopg_patched", psycopg=True)


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_psycopg_async_query_cancelled(psycopg_patched: None, spans: SpanRecorder, timeout: bool) -> None:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(PG_DSN, autocommit=True)
    marker = uuid.uuid4().hex
    query = f"SELECT pg_sleep(10), '{marker}'"
    try:
        cursor = conn.cursor()
        outer, seen = await interrupted(lambda: cursor.execute(query), lambda: until_running(marker), timeout)
    finally:
        await conn.close()
    assert_interrupted(outer, seen, timeout)
    assert_cancelled_span(spans.one("postgres.query", query), outer)


# --- HTTP clients: a request known to have reached the loopback server, which answers only once released ---


@pytest.fixture
def hanging(base: str) -> Iterator[str]:
    HANG.reset()
    yield base + "/hang"
    HANG.release.set()  # the server's thread answers and ends


async def until_arrived() -> None:
    await asyncio.get_running_loop().run_in_executor(None, HANG.arrived.wait, 30)


http_patched = patched_fixture(name="http_patched", httpx=True, aiohttp=True)


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_httpx_async_request_cancelled(
    http_patched: None, spans: SpanRecorder, hanging: str, timeout: bool
) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        outer, seen = await interrupted(lambda: client.get(hanging), until_arrived, timeout)
    assert_interrupted(outer, seen, timeout)
    assert_cancelled_span(spans.one("http.request"), outer)


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_aiohttp_request_cancelled(http_patched: None, spans: SpanRecorder, hanging: str, timeout: bool) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        outer, seen = await interrupted(lambda: session.get(hanging), until_arrived, timeout)
    assert_interrupted(outer, seen, timeout)
    assert_cancelled_span(spans.one("aiohttp.request"), outer)


# --- aiokafka: a consumer waiting on an empty topic ---


@pytest.fixture
async def consumer(spans: SpanRecorder) -> Any:
    import aiokafka

    sys.path.insert(0, str(Path(__file__).parent / "kafka"))
    try:
        from clients import SERVERS
        from clients import new_topic
    finally:
        sys.path.remove(str(Path(__file__).parent / "kafka"))
    ddtrace_integrations.patch(aiokafka=True)
    topic = new_topic()
    made = aiokafka.AIOKafkaConsumer(bootstrap_servers=SERVERS, group_id=f"g-{topic}", auto_offset_reset="earliest")
    await made.start()
    made.assign([aiokafka.TopicPartition(topic, 0)])
    spans.clear()
    yield made
    await made.stop()
    ddtrace_integrations.unpatch(aiokafka=True)


async def until_waiting(consumer: Any) -> None:
    """The application's getone waits for records (it left a waiter with the consumer's fetcher)."""
    fetcher = consumer._fetcher
    while not fetcher._fetch_waiters:
        await asyncio.sleep(0)  # one loop turn at a time, until the condition holds


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_aiokafka_getone_cancelled(consumer: Any, spans: SpanRecorder, timeout: bool) -> None:
    outer, seen = await interrupted(consumer.getone, lambda: until_waiting(consumer), timeout)
    assert_interrupted(outer, seen, timeout)
    assert [s.name for s in spans.spans] == ["app.work"]  # as under ddtrace: a getone that returned nothing


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_aiokafka_getmany_cancelled(consumer: Any, spans: SpanRecorder, timeout: bool) -> None:
    outer, seen = await interrupted(
        lambda: consumer.getmany(timeout_ms=30_000), lambda: until_waiting(consumer), timeout
    )
    assert_interrupted(outer, seen, timeout)
    assert_span(spans.one("kafka.consume"), error=1, meta={"error.type": CANCELLED})  # ddtrace's covers the call


async def test_aiokafka_receive_leaves_the_callers_span_current(consumer: Any, spans: SpanRecorder) -> None:
    """Not a cancellation: the plain case of the bug the cancelled getmany found. The consume span is a root span
    (as ddtrace's); once it ended, the caller's span was no longer current (ddtrace keeps it current)."""
    with tracer.trace("app.work") as outer:
        assert await consumer.getmany(timeout_ms=10) == {}
        assert tracer.current_span() is outer
    assert spans.one("kafka.consume").parent_id is None


# --- Redis: a BLPOP known to be blocked (CLIENT LIST), then cancelled ---

redis_patched = patched_fixture(name="redis_patched", redis=True)


async def until_blocked(client_name: str) -> None:
    import redis.asyncio as aredis

    watcher = aredis.Redis(host="127.0.0.1", port=int(os.environ.get("DDI_REDIS_PORT", "6379")))
    try:
        while not any(c["name"] == client_name and c["cmd"] == "blpop" for c in await watcher.client_list()):
            await asyncio.sleep(0.01)  # polls the server for the condition
    finally:
        await watcher.aclose()


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "wait_for"])
async def test_redis_async_command_cancelled(redis_patched: None, spans: SpanRecorder, timeout: bool) -> None:
    import redis.asyncio as aredis

    name = uuid.uuid4().hex
    client = aredis.Redis(host="127.0.0.1", port=int(os.environ.get("DDI_REDIS_PORT", "6379")), client_name=name)
    try:
        outer, seen = await interrupted(
            lambda: client.blpop([f"ddi:{name}"], timeout=10), lambda: until_blocked(name), timeout
        )
        assert await client.ping() is True  # the connection was dropped and a new one serves the next command
    finally:
        await client.aclose()
    assert_interrupted(outer, seen, timeout)
    assert_cancelled_span(spans.one("redis.command", "BLPOP"), outer)
