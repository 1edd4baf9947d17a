"""Memory: many traced calls per integration, then many connections or clients made and dropped, against the real
services, with the real tracer's spans (dropped by a trace filter, after every tracer processor ran).

After a warm-up, a tracemalloc snapshot is taken, ``CALLS`` more traced calls run, and a second snapshot is
compared with the first: the growth, in total and in allocations with a ddtrace_integrations frame on their
stack, stays under ``BOUND`` (under a byte per call: one object kept per call would be megabytes). The same
for ``CONNECTIONS`` connections (or clients) made, used once and dropped: per-connection state must be weak.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import List
from typing import Tuple

import pytest
from ddtrace.trace import Span
from ddtrace.trace import TraceFilter
from ddtrace.trace import tracer
from helpers import PG_DSN

import ddtrace_integrations

BOUND = 64 * 1024  # bytes, in total and with a ddtrace_integrations frame
BLOCKS = 2_000  # memory blocks still allocated after the long run (one object kept per call: one block per call)
WARM_UP = 2_000
FRAMES = 1
MYSQL = {
    "host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("DDI_MYSQL_PORT", "3306")),
    "user": "root",
}
KAFKA = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


class DropAndCount(TraceFilter):
    """Counts the finished spans by name and drops their traces: nothing is encoded, kept or sent."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def process_trace(self, trace: List[Span]) -> None:
        self.seen.update(span.name for span in trace)
        return None


@pytest.fixture
def dropped() -> Iterator[DropAndCount]:
    counter = DropAndCount()
    tracer.configure(trace_processors=[counter])
    yield counter
    tracer.configure(trace_processors=[])


def traced_growth(run: Callable[[int], None], count: int, ignore: Tuple[str, ...] = ()) -> Tuple[int, int]:
    """(total growth in bytes, growth in bytes allocated by ddtrace_integrations code) over ``count`` calls of
    ``run``, measured by two tracemalloc snapshots (tracemalloc's own allocations, and those of files matching
    ``ignore``, left out)."""
    gc.collect()
    tracemalloc.start(FRAMES)
    try:
        before = tracemalloc.take_snapshot()
        run(count)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()

    def grown(*filters: tracemalloc.Filter) -> int:
        return sum(
            s.size_diff for s in after.filter_traces(filters).compare_to(before.filter_traces(filters), "filename")
        )

    left_out = [tracemalloc.Filter(False, pattern) for pattern in (tracemalloc.__file__, *ignore)]
    return grown(*left_out), grown(tracemalloc.Filter(True, "*/ddtrace_integrations/*"))


def block_growth(run: Callable[[int], None], count: int) -> int:
    """How many more memory blocks are allocated after ``count`` calls of ``run`` than before (no tracemalloc:
    the calls run at full speed)."""
    gc.collect()
    before = sys.getallocatedblocks()
    run(count)
    gc.collect()
    return sys.getallocatedblocks() - before


# --- one workload per integration: (its patch flag, the span each call makes, a context giving run(n)) ---

Run = Callable[[int], None]


@contextlib.contextmanager
def asyncpg_calls() -> Iterator[Run]:
    import asyncpg

    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(PG_DSN))

    async def calls(n: int) -> None:
        for _ in range(n):
            await conn.fetchval("SELECT 1")

    try:
        yield lambda n: loop.run_until_complete(calls(n))
    finally:
        loop.run_until_complete(conn.close())
        loop.close()


@contextlib.contextmanager
def dbapi_calls(connect: Callable[[], Any]) -> Iterator[Run]:
    conn = connect()
    cursor = conn.cursor()

    def calls(n: int) -> None:
        for _ in range(n):
            cursor.execute("SELECT 1")
            cursor.fetchall()

    try:
        yield calls
    finally:
        cursor.close()
        conn.close()


def psycopg_calls() -> Any:
    import psycopg

    return dbapi_calls(lambda: psycopg.connect(PG_DSN, autocommit=True))


def mysql_calls() -> Any:
    import mysql.connector

    return dbapi_calls(lambda: mysql.connector.connect(**MYSQL))


def pymysql_calls() -> Any:
    import pymysql

    return dbapi_calls(lambda: pymysql.connect(**MYSQL))


def mysqldb_calls() -> Any:
    import MySQLdb

    return dbapi_calls(lambda: MySQLdb.connect(**MYSQL))


@contextlib.contextmanager
def httpx_calls() -> Iterator[Run]:
    import httpx

    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=b"ok")))

    def calls(n: int) -> None:
        for _ in range(n):
            client.get("http://memory.test/x")

    try:
        yield calls
    finally:
        client.close()


@contextlib.contextmanager
def aiohttp_calls() -> Iterator[Run]:
    import aiohttp
    from aiohttp import web

    async def ok(request: Any) -> Any:
        return web.Response(body=b"ok")

    async def start() -> Tuple[Any, str]:
        app = web.Application()
        app.router.add_get("/x", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/x"

    loop = asyncio.new_event_loop()
    runner, url = loop.run_until_complete(start())

    async def calls(n: int) -> None:
        # a session per run: its keep-alive timers hold the context (and so the span) that was current when they
        # were scheduled, untraced or not, until they fire or the session closes
        async with aiohttp.ClientSession() as session:
            for _ in range(n):
                async with session.get(url) as response:
                    await response.read()
        await asyncio.sleep(0)  # one loop turn: the callbacks the closing session scheduled run

    try:
        yield lambda n: loop.run_until_complete(calls(n))
    finally:
        loop.run_until_complete(runner.cleanup())
        loop.close()


@contextlib.contextmanager
def flask_calls() -> Iterator[Run]:
    import flask

    app = flask.Flask("memory")
    app.add_url_rule("/x", "x", lambda: "ok")
    client = app.test_client()

    def calls(n: int) -> None:
        for _ in range(n):
            client.get("/x").close()

    yield calls


@contextlib.contextmanager
def django_calls() -> Iterator[Run]:
    from django.core.wsgi import get_wsgi_application
    from werkzeug.test import Client

    client = Client(get_wsgi_application())  # Django's own test client keeps signal receivers per request

    def calls(n: int) -> None:
        for _ in range(n):
            client.get("/").close()

    yield calls


def new_topic() -> str:
    sys.path.insert(0, str(Path(__file__).parent / "kafka"))
    try:
        from clients import new_topic as make
    finally:
        sys.path.remove(str(Path(__file__).parent / "kafka"))
    return make()


@contextlib.contextmanager
def kafka_calls() -> Iterator[Run]:
    import confluent_kafka

    topic = new_topic()
    producer = confluent_kafka.Producer({"bootstrap.servers": KAFKA, "linger.ms": 5})

    def calls(n: int) -> None:
        for i in range(n):
            producer.produce(topic, b"x")
            if i % 1000 == 999:
                producer.flush(10)  # the spans end with the broker's acknowledgements
        producer.flush(10)

    yield calls
    producer.flush(10)


@contextlib.contextmanager
def aiokafka_calls() -> Iterator[Run]:
    import aiokafka

    topic = new_topic()
    loop = asyncio.new_event_loop()

    async def start() -> Any:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=KAFKA, linger_ms=5)
        await producer.start()
        return producer

    producer = loop.run_until_complete(start())

    async def calls(n: int) -> None:
        pending = []
        for i in range(n):
            pending.append(await producer.send(topic, b"x"))
            if i % 1000 == 999:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        # aiokafka's sender keeps the batch it sent last until it sends another: one more (through send_batch,
        # which is not traced) lets go of the traced sends' batch, so that it is not counted as growth
        batch = producer.create_batch()
        batch.append(key=None, value=b"x", timestamp=None)
        await (await producer.send_batch(batch, topic, partition=0))
        await asyncio.sleep(0)  # one loop turn: the acknowledgement callbacks (which end the spans) run

    try:
        yield lambda n: loop.run_until_complete(calls(n))
    finally:
        loop.run_until_complete(producer.stop())
        loop.close()


@contextlib.contextmanager
def kafka_python_calls() -> Iterator[Run]:
    import kafka

    topic = new_topic()
    producer = kafka.KafkaProducer(bootstrap_servers=KAFKA, linger_ms=5)

    def calls(n: int) -> None:
        for i in range(n):
            producer.send(topic, b"x")
            if i % 1000 == 999:
                producer.flush(10)
        producer.flush(10)

    try:
        yield calls
    finally:
        producer.close()


# name -> (patch flag, the span each call makes, the workload, calls at full speed, calls under tracemalloc).
# The counts keep each test near 30 s on the shared 2-core machine, measured there (µs per call, untraced by
# tracemalloc / under it): Kafka's produce 25-65 / 130-300, asyncpg 95-130 / 180-1000, aiokafka 125 / 2200 with
# 16 frames, the DB-API drivers 110-680 / 300-1400, the HTTP clients 210-560 / 1400-7700, Flask 600-980 /
# 4600 and Django slower still. 200,000 where that fits; below, one object kept per call is still thousands
# of blocks and tens of kilobytes, far over the bounds.
Workload = Tuple[str, str, Callable[[], Any], int, int]
WORKLOADS: Dict[str, Workload] = {
    "asyncpg": ("asyncpg", "postgres.query", asyncpg_calls, 200_000, 20_000),
    "psycopg": ("psycopg", "postgres.query", psycopg_calls, 100_000, 10_000),
    "mysql": ("mysql", "mysql.query", mysql_calls, 100_000, 10_000),
    "pymysql": ("pymysql", "pymysql.query", pymysql_calls, 100_000, 10_000),
    "mysqldb": ("mysqldb", "mysql.query", mysqldb_calls, 100_000, 10_000),
    "httpx": ("httpx", "http.request", httpx_calls, 50_000, 5_000),
    "aiohttp": ("aiohttp", "aiohttp.request", aiohttp_calls, 30_000, 5_000),
    "flask": ("flask", "flask.request", flask_calls, 20_000, 3_000),
    "django": ("django", "django.request", django_calls, 10_000, 2_000),
    "kafka": ("kafka", "kafka.produce", kafka_calls, 200_000, 20_000),
    "aiokafka": ("aiokafka", "kafka.produce", aiokafka_calls, 200_000, 10_000),
    "kafka_python": ("kafka_python", "kafka.produce", kafka_python_calls, 200_000, 20_000),
}


@pytest.fixture
def django_if(request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["name"] == "django":
        request.getfixturevalue("django_app")


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_traced_calls_do_not_grow_memory(name: str, django_if: None, dropped: DropAndCount) -> None:
    flag, span_name, workload, calls, traced_calls = WORKLOADS[name]
    if flag != "django":  # the django_app fixture owns Django's patching
        ddtrace_integrations.patch(**{flag: True})
    try:
        with workload() as run:
            run(WARM_UP)
            blocks = block_growth(run, calls)
            total, ours = traced_growth(run, traced_calls)
    finally:
        if flag != "django":
            ddtrace_integrations.unpatch(**{flag: True})
    assert dropped.seen[span_name] == WARM_UP + calls + traced_calls, dropped.seen  # every call was traced
    print(f"\n{name}: {calls} calls: {blocks} blocks; {traced_calls} calls: {total} B, {ours} B ddtrace_integrations")
    assert blocks < BLOCKS and total < BOUND and ours < BOUND, (blocks, total, ours)


# --- connections and clients made, used once and dropped: what v2 keeps per connection must go with it ---


async def asyncpg_connection() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    await conn.fetchval("SELECT 1")
    await conn.close()


def dbapi_connection(connect: Callable[[], Any]) -> Callable[[], None]:
    def use() -> None:
        conn = connect()
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
        conn.close()

    return use


def httpx_client() -> None:
    import httpx

    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))) as client:
        client.get("http://memory.test/x")


async def aiohttp_session(url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        await response.read()


def psycopg_connect() -> Any:
    import psycopg

    return psycopg.connect(PG_DSN)


def pymysql_connect() -> Any:
    import pymysql

    return pymysql.connect(**MYSQL)


def mysql_connect() -> Any:
    import mysql.connector

    return mysql.connector.connect(**MYSQL)


def mysqldb_connect() -> Any:
    import MySQLdb

    return MySQLdb.connect(**MYSQL)


# name -> (patch flag, the span each use makes, one connection made, used and closed, how many). A database
# connection costs milliseconds (its login): 2,000 of them, where a kept entry of ~100 bytes each is 200 KB.
CONNECTIONS: Dict[str, Tuple[str, str, Callable[..., Any], int]] = {
    "asyncpg": ("asyncpg", "postgres.query", asyncpg_connection, 2_000),
    "psycopg": ("psycopg", "postgres.query", dbapi_connection(psycopg_connect), 2_000),
    "mysql": ("mysql", "mysql.query", dbapi_connection(mysql_connect), 2_000),
    "pymysql": ("pymysql", "pymysql.query", dbapi_connection(pymysql_connect), 2_000),
    "mysqldb": ("mysqldb", "mysql.query", dbapi_connection(mysqldb_connect), 2_000),
    "httpx": ("httpx", "http.request", httpx_client, 10_000),
    "aiohttp": ("aiohttp", "aiohttp.request", aiohttp_session, 2_000),  # ~2 ms each: a session, a connection
}


# The loopback server (a thread per connection, in this process) still holds the last connections' requests while
# its threads wind down, traced or not: its allocations are left out of the aiohttp sessions' count.
SERVER_FILES = ("*/http/server.py", "*/socketserver.py", "*/email/*", "*/threading.py")


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
def test_dropped_connections_leave_nothing_behind(name: str, dropped: DropAndCount, base: str) -> None:
    flag, span_name, use, count = CONNECTIONS[name]
    args = (base + "/status/200",) if name == "aiohttp" else ()
    loop = asyncio.new_event_loop()

    def run(n: int) -> None:
        for _ in range(n):
            result = use(*args)
            if asyncio.iscoroutine(result):
                loop.run_until_complete(result)

    ddtrace_integrations.patch(**{flag: True})
    try:
        run(WARM_UP // 10)
        total, ours = traced_growth(run, count, SERVER_FILES if name == "aiohttp" else ())
    finally:
        ddtrace_integrations.unpatch(**{flag: True})
        loop.close()
    assert dropped.seen[span_name] == WARM_UP // 10 + count, dropped.seen  # every connection was traced
    print(f"\n{name}: {count} connections: {total} B, {ours} B ddtrace_integrations")
    assert total < BOUND and ours < BOUND, (total, ours)
