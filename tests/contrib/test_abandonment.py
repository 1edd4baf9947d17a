"""Abandonment: a streamed HTTP response dropped half-read (httpx sync and async, aiohttp, requests), a Flask
streaming response closed by the client half-read, DB cursors never closed or a server-side cursor iterated half
and dropped, Kafka consumers (confluent-kafka, kafka-python, aiokafka) closed mid-batch; against the real services.

Every span the calls made ended (no trace is left pending in the tracer), with no error (ddtrace's integrations end
these spans when the call returns, or for a WSGI response when the server closes it), no span is left current, and
nothing stays referenced: the dropped object and the span are gone once garbage is collected.
"""

from __future__ import annotations

import gc
import os
import sys
import weakref
from pathlib import Path
from typing import Any
from typing import Iterator
from typing import List

import pytest
from ddtrace.trace import Span
from ddtrace.trace import tracer
from helpers import PG_DSN
from helpers import SpanRecorder
from helpers import assert_span

import ddtrace_integrations

MYSQL_HOST = os.environ.get("DDI_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("DDI_MYSQL_PORT", "3306"))


def pending_traces() -> int:
    """Traces the tracer still holds because one of their spans has not finished."""
    return len(tracer._span_aggregator._traces)


def assert_all_ended(spans: SpanRecorder, name: str, count: int = 1) -> List[Span]:
    found = spans.named(name)
    assert len(found) == count, [s.name for s in spans.spans]
    for span in found:
        assert span.duration_ns is not None
        assert_span(span, error=0)
    assert pending_traces() == 0 and tracer.current_span() is None
    return found


def assert_collected(spans: SpanRecorder, *dropped: weakref.ref) -> None:
    """The dropped objects and, once the recorder lets go of them, every span are garbage."""
    span_refs = [weakref.ref(s) for s in spans.spans]
    spans.clear()
    gc.collect()
    assert [r for r in dropped if r() is not None] == []
    assert [r() for r in span_refs if r() is not None] == []


# --- HTTP clients: a streamed body read in part, then dropped ---


@pytest.fixture
def http_patched() -> Iterator[None]:
    ddtrace_integrations.patch(httpx=True, aiohttp=True, requests=True)
    yield
    ddtrace_integrations.unpatch(httpx=True, aiohttp=True, requests=True)


def test_httpx_stream_dropped_half_read(http_patched: None, spans: SpanRecorder, base: str) -> None:
    import httpx

    with httpx.Client() as client:
        response = client.send(client.build_request("GET", base + "/endless"), stream=True)
        assert next(response.iter_bytes())  # part of an endless body
        dropped = weakref.ref(response)
        response.close()
        del response
    assert_all_ended(spans, "http.request")
    assert_collected(spans, dropped)


def test_requests_stream_dropped_half_read(http_patched: None, spans: SpanRecorder, base: str) -> None:
    import requests

    with requests.Session() as session:
        response = session.get(base + "/endless", stream=True)
        assert next(response.iter_content(100))  # part of an endless body
        dropped = weakref.ref(response)
        del response  # neither read to the end nor closed: its connection goes with it
    assert_all_ended(spans, "requests.request")
    assert_collected(spans, dropped)


async def test_httpx_async_stream_dropped_half_read(http_patched: None, spans: SpanRecorder, base: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client, client.stream("GET", base + "/endless") as response:
        chunks = response.aiter_bytes()
        assert await chunks.__anext__()  # part of an endless body
        await chunks.aclose()  # what ``break`` leaves to the event loop's finaliser
    assert_all_ended(spans, "http.request")
    assert_collected(spans)  # (the response itself outlives this coroutine's frame, traced or not)


async def test_aiohttp_stream_dropped_half_read(http_patched: None, spans: SpanRecorder, base: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        response = await session.get(base + "/endless")
        assert await response.content.read(100)
        dropped = weakref.ref(response)
        response.close()  # drops the connection with the body unread
        del response
    assert_all_ended(spans, "aiohttp.request")
    assert_collected(spans, dropped)


# --- Flask: a streaming response closed by the client half-read ---


def test_flask_streaming_response_closed_half_read(spans: SpanRecorder) -> None:
    ddtrace_integrations.patch(flask=True)
    sys.path.insert(0, str(Path(__file__).parent / "flask"))
    try:
        import flask_app

        client = flask_app.create_app().test_client()
        response = client.get("/stream", buffered=False)
        assert next(iter(response.response)) == b"chunk 0\n"
        assert spans.named("flask.request") == []  # the request lasts while the body is sent
        response.close()
        dropped = weakref.ref(response)
        del response, client
    finally:
        sys.path.remove(str(Path(__file__).parent / "flask"))
        ddtrace_integrations.unpatch(flask=True)
    assert_all_ended(spans, "flask.request")
    assert_collected(spans, dropped)


# --- databases: cursors never closed, a server-side cursor iterated half ---


@pytest.fixture
def db_patched() -> Iterator[None]:
    ddtrace_integrations.patch(psycopg=True, pymysql=True, asyncpg=True)
    yield
    ddtrace_integrations.unpatch(psycopg=True, pymysql=True, asyncpg=True)


def test_psycopg_named_cursor_iterated_half_and_dropped(db_patched: None, spans: SpanRecorder) -> None:
    import psycopg

    with psycopg.connect(PG_DSN) as conn:
        cursor = conn.cursor(name="half")
        cursor.execute("SELECT generate_series(1, 10000)")
        assert next(iter(cursor)) == (1,)
        dropped = weakref.ref(cursor)
        del cursor  # never closed
        gc.collect()
        conn.rollback()
    assert dropped() is None
    assert_all_ended(spans, "postgres.query")
    assert_collected(spans, dropped)


def test_pymysql_cursor_never_closed(db_patched: None, spans: SpanRecorder) -> None:
    import pymysql

    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root")
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    dropped = (weakref.ref(cursor), weakref.ref(conn))
    del cursor, conn  # neither closed
    assert_all_ended(spans, "pymysql.query")
    assert_collected(spans, *dropped)


async def test_asyncpg_cursor_iterated_half_and_dropped(db_patched: None, spans: SpanRecorder) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        async with conn.transaction():
            async for row in conn.cursor("SELECT generate_series(1, 10000)", prefetch=10):
                assert row[0] == 1
                break
    finally:
        await conn.close()
    dropped = weakref.ref(conn)
    del conn
    assert pending_traces() == 0 and tracer.current_span() is None
    assert all(s.duration_ns is not None for s in spans.spans) and spans.named("postgres.query")
    assert_collected(spans, dropped)


# --- Kafka: consumers closed mid-batch ---


@pytest.fixture(params=["confluent", "kafka_python", "aiokafka"])
def kafka_client(request: pytest.FixtureRequest, spans: SpanRecorder) -> Iterator[Any]:
    sys.path.insert(0, str(Path(__file__).parent / "kafka"))
    try:
        import clients
    finally:
        sys.path.remove(str(Path(__file__).parent / "kafka"))
    adapter = {"confluent": clients.Confluent, "kafka_python": clients.KafkaPython, "aiokafka": clients.Aiokafka}
    integration = adapter[request.param].integration
    ddtrace_integrations.patch(**{integration: True})
    made = adapter[request.param](clients.new_topic())
    spans.clear()
    yield made
    ddtrace_integrations.unpatch(**{integration: True})


def test_kafka_consumer_closed_mid_batch(kafka_client: Any, spans: SpanRecorder) -> None:
    for i in range(5):
        kafka_client.produce(b"v%d" % i)
    assert kafka_client.consume_one() is not None  # one of five read, four left in the consumer's batch
    kafka_client.close()
    assert_all_ended(spans, "kafka.consume")
    assert len(spans.named("kafka.produce")) == 5
    assert_collected(spans)
