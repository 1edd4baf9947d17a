"""Memory: many traced calls per integration, then many connections or clients made and dropped, against the real
services, with the real tracer's spans (dropped by a trace filter, after every tracer processor ran).

After a warm-up, 200,000 traced calls per integration run at full speed (issue 15), and the memory blocks
still allocated after them (``sys.getallocatedblocks``, after a collection) grow by fewer than ``BLOCKS``: one
object kept per call would be 200,000 blocks. Then a tracemalloc snapshot is taken, thousands more traced calls
run (tracemalloc slows each 2 to 10 times: fewer calls, see ``WORKLOADS``), and a second snapshot is compared
with the first: the growth, in total and in allocations with a ddtrace_integrations frame on their stack, stays
under ``BOUND`` (one object kept per call would be tens of kilobytes), and says where it came from. The same for
``CONNECTIONS`` connections (or clients) made, used once and dropped: per-connection state must be weak.

The workloads are as light as the integration allows, so that 200,000 calls of each fit in minutes: the web
frameworks' WSGI apps are called as a server calls them (no test client), aiohttp's client talks to a raw
asyncio protocol in its own loop, httpx to a ``MockTransport``; each call still makes the integration's own
spans, counted by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any
from typing import Awaitable
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


def in_loop(
    loop: asyncio.AbstractEventLoop, calls: Callable[[int], Awaitable[None]], stop: Callable[[], Awaitable[Any]]
) -> Iterator[Run]:
    """The asyncio workloads' ``run``: ``calls(n)`` on ``loop``, one loop for the workload's life (as an
    application's); then ``stop()`` on it, and the loop closed. For ``yield from`` in a workload."""
    try:
        yield lambda n: loop.run_until_complete(calls(n))
    finally:
        loop.run_until_complete(stop())
        loop.close()


@contextlib.contextmanager
def asyncpg_calls() -> Iterator[Run]:
    import asyncpg

    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(PG_DSN))

    async def calls(n: int) -> None:
        for _ in range(n):
            await conn.fetchval("SELECT 1")

    yield from in_loop(loop, calls, conn.close)


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


DRIVERS = {
    "psycopg": "psycopg",
    "mysql": "mysql.connector",
    "pymysql": "pymysql",
    "mysqldb": "MySQLdb",
    "sqlite3": "sqlite3",
}


def dbapi_connect(name: str, **options: Any) -> Callable[[], Any]:
    """``connect()`` of integration ``name``'s DB-API driver (PostgreSQL for psycopg, an in-memory database for
    sqlite3, MariaDB for the others), the driver imported at the first connection (a missing driver fails its own
    tests only)."""
    if name == "sqlite3":
        args, kwargs = (":memory:",), options
    else:
        args, kwargs = ((PG_DSN,), options) if name == "psycopg" else ((), {**MYSQL, **options})

    def connect() -> Any:
        return importlib.import_module(DRIVERS[name]).connect(*args, **kwargs)

    return connect


def dbapi_workload(name: str) -> Callable[[], Any]:
    options = {"autocommit": True} if name == "psycopg" else {}
    return lambda: dbapi_calls(dbapi_connect(name, **options))


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


def _requests_session() -> Any:
    """A requests session answered by an in-memory transport adapter (the application's own kind of adapter): each
    call runs ``Session.send`` as over a network; no proxy settings read from the environment."""
    import requests
    from requests.adapters import BaseAdapter

    class Answer(BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:
            response = requests.Response()
            response.status_code, response.url, response.request, response._content = 200, request.url, request, b"ok"
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    session.trust_env = False
    session.mount("http://memory.test/", Answer())
    return session


@contextlib.contextmanager
def requests_calls() -> Iterator[Run]:
    session = _requests_session()

    def calls(n: int) -> None:
        for _ in range(n):
            session.get("http://memory.test/x")

    try:
        yield calls
    finally:
        session.close()


REDIS_PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))


@contextlib.contextmanager
def redis_calls() -> Iterator[Run]:
    import redis

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT, client_name="memory")

    def calls(n: int) -> None:
        for _ in range(n):
            client.get("ddi:memory")

    try:
        yield calls
    finally:
        client.close()


class _Ok(asyncio.Protocol):
    """The lightest HTTP/1.1 server: answers every request head it receives (GETs without a body) with the
    same keep-alive "200 ok", in the client's own loop, so that a call's cost is mostly the client's."""

    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        heads = (self.pending + data).split(b"\r\n\r\n")
        self.pending = heads.pop()
        self.transport.write(self.RESPONSE * len(heads))


@contextlib.contextmanager
def aiohttp_calls() -> Iterator[Run]:
    import aiohttp

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_Ok, "127.0.0.1", 0))
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x"

    async def calls(n: int) -> None:
        # a session per run: its keep-alive timers hold the context (and so the span) that was current when they
        # were scheduled, untraced or not, until they fire or the session closes
        async with aiohttp.ClientSession() as session:
            for _ in range(n):
                async with session.get(url) as response:
                    await response.read()
        await asyncio.sleep(0)  # one loop turn: the callbacks the closing session scheduled run

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    yield from in_loop(loop, calls, stop)


def _write(data: bytes) -> None:
    pass


def _start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
    return _write


def wsgi_calls(app: Callable[..., Any], path: str) -> Run:
    """``app`` called as a WSGI server calls it (a copy of one prebuilt environ a request, the body read and
    closed, which ends the request span), without a test client's request building and response wrapping."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path).get_environ()

    def calls(n: int) -> None:
        for _ in range(n):
            body = app(environ.copy(), _start_response)
            for _chunk in body:
                pass
            body.close()

    return calls


@contextlib.contextmanager
def flask_calls() -> Iterator[Run]:
    import flask

    app = flask.Flask("memory")
    app.add_url_rule("/x", "x", lambda: "ok")
    yield wsgi_calls(app, "/x")


@contextlib.contextmanager
def django_calls() -> Iterator[Run]:
    from django.core.wsgi import get_wsgi_application

    # the test app's whole middleware stack and its index view (Django's own test client would keep signal
    # receivers per request)
    yield wsgi_calls(get_wsgi_application(), "/")


@contextlib.contextmanager
def asgi_calls(app: Any, path: str) -> Iterator[Run]:
    """``app`` called as an ASGI server calls it (a copy of one prebuilt scope a request), on one event loop."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b""}
    scope.update(headers=[(b"host", b"memory")], scheme="http", server=("memory", 80), client=("127.0.0.1", 1))

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        pass

    async def many(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), receive, send)

    loop = asyncio.new_event_loop()
    try:
        yield lambda n: loop.run_until_complete(many(n))
    finally:
        loop.close()


@contextlib.contextmanager
def starlette_calls() -> Iterator[Run]:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def item(request: Any) -> Any:
        return PlainTextResponse("ok")

    with asgi_calls(Starlette(routes=[Route("/x/{n:int}", item)]), "/x/1") as run:
        yield run


@contextlib.contextmanager
def fastapi_calls() -> Iterator[Run]:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/x/{n}")
    async def item(n: int) -> Any:
        return {"n": n}

    with asgi_calls(app, "/x/1") as run:
        yield run


@contextlib.contextmanager
def websocket_calls() -> Iterator[Run]:
    """One websocket connection a call, as a server makes it: accepted, one text message echoed, the client's
    close (a handshake span and five message spans)."""
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    async def echo(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.receive()

    app = Starlette(routes=[WebSocketRoute("/ws/{n:int}", echo)])
    scope = {"type": "websocket", "path": "/ws/1", "raw_path": b"/ws/1", "query_string": b"", "scheme": "ws"}
    scope.update(headers=[(b"host", b"memory")], server=("memory", 80), client=("127.0.0.1", 1))
    incoming = ({"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"})

    async def connection() -> None:
        messages = iter(incoming)

        async def receive() -> Dict[str, Any]:
            return next(messages, {"type": "websocket.disconnect", "code": 1000})

        async def send(message: Dict[str, Any]) -> None:
            pass

        await app(dict(scope), receive, send)

    async def many(n: int) -> None:
        for _ in range(n):
            await connection()

    loop = asyncio.new_event_loop()
    try:
        yield lambda n: loop.run_until_complete(many(n))
    finally:
        loop.close()


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

    yield from in_loop(loop, calls, producer.stop)


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
# 200,000 calls at full speed for every integration (issue 15): one object kept per call would be 200,000 blocks
# and megabytes. Their cost, measured on the shared 2-core machine (10,000 traced calls after 500, µs per call,
# wall / CPU): Kafka's produce 35-45 / 31-33, kafka-python 85-100 / 77-88, aiokafka 125-170 / 66-78, asyncpg
# 90-215 / 63-88, psycopg 77-130 / 55-65, MySQLdb 84-150 / 55-71, PyMySQL 100-185 / 68-82, mysql-connector
# 130-180 / 95-106, httpx (MockTransport) 250-540 / 210-240, aiohttp (against a raw asyncio protocol in the same
# loop; 310 µs CPU against aiohttp's own web server) 430 / 250, Flask (the WSGI app called directly; 510 µs CPU
# through the test client) 420-650 / 420 with 9 spans a request, Django (likewise; 830 µs CPU through Werkzeug's
# test client) 920 / 680 with 22 spans a request: span creation itself (tracer and plugin) is most of it.
# Under tracemalloc a call costs 2 to 10 times as much (every allocation is traced): the attributed runs stay
# smaller, still thousands of calls, where one object kept per call is tens of kilobytes, over the bounds.
Workload = Tuple[str, str, Callable[[], Any], int, int]
WORKLOADS: Dict[str, Workload] = {
    "asyncpg": ("asyncpg", "postgres.query", asyncpg_calls, 200_000, 20_000),
    "psycopg": ("psycopg", "postgres.query", dbapi_workload("psycopg"), 200_000, 10_000),
    "mysql": ("mysql", "mysql.query", dbapi_workload("mysql"), 200_000, 10_000),
    "pymysql": ("pymysql", "pymysql.query", dbapi_workload("pymysql"), 200_000, 10_000),
    "mysqldb": ("mysqldb", "mysql.query", dbapi_workload("mysqldb"), 200_000, 10_000),
    "sqlite3": ("sqlite3", "sqlite.query", dbapi_workload("sqlite3"), 200_000, 20_000),
    "httpx": ("httpx", "http.request", httpx_calls, 200_000, 5_000),
    "aiohttp": ("aiohttp", "aiohttp.request", aiohttp_calls, 200_000, 5_000),
    "requests": ("requests", "requests.request", requests_calls, 200_000, 5_000),
    "redis": ("redis", "redis.command", redis_calls, 200_000, 10_000),
    "flask": ("flask", "flask.request", flask_calls, 200_000, 3_000),
    "django": ("django", "django.request", django_calls, 200_000, 2_000),
    "starlette": ("starlette", "starlette.request", starlette_calls, 200_000, 3_000),
    "fastapi": ("fastapi", "fastapi.request", fastapi_calls, 200_000, 2_000),
    "starlette-websocket": ("starlette", "starlette.request", websocket_calls, 200_000, 1_000),
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
        with dbapi_calls(connect) as run:  # a connection and a cursor, one query, both closed
            run(1)

    return use


def httpx_client() -> None:
    import httpx

    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))) as client:
        client.get("http://memory.test/x")


def requests_session() -> None:
    with _requests_session() as session:
        session.get("http://memory.test/x")


def redis_client() -> None:
    import redis

    with redis.Redis(host="127.0.0.1", port=REDIS_PORT, client_name="memory") as client:  # a pool of its own
        client.get("ddi:memory")


async def aiohttp_session(url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        await response.read()


# name -> (patch flag, the span each use makes, one connection made, used and closed, how many). A database
# connection costs milliseconds (its login): 2,000 of them, where a kept entry of ~100 bytes each is 200 KB.
CONNECTIONS: Dict[str, Tuple[str, str, Callable[..., Any], int]] = {
    "asyncpg": ("asyncpg", "postgres.query", asyncpg_connection, 2_000),
    "psycopg": ("psycopg", "postgres.query", dbapi_connection(dbapi_connect("psycopg")), 2_000),
    "mysql": ("mysql", "mysql.query", dbapi_connection(dbapi_connect("mysql")), 2_000),
    "pymysql": ("pymysql", "pymysql.query", dbapi_connection(dbapi_connect("pymysql")), 2_000),
    "mysqldb": ("mysqldb", "mysql.query", dbapi_connection(dbapi_connect("mysqldb")), 2_000),
    "sqlite3": ("sqlite3", "sqlite.query", dbapi_connection(dbapi_connect("sqlite3")), 10_000),  # no login
    "httpx": ("httpx", "http.request", httpx_client, 10_000),
    "aiohttp": ("aiohttp", "aiohttp.request", aiohttp_session, 2_000),
    "requests": ("requests", "requests.request", requests_session, 10_000),  # ~2 ms each: a session, a connection
    "redis": ("redis", "redis.command", redis_client, 5_000),  # a client, its pool and connection
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
