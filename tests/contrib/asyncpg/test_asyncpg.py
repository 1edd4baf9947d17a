"""asyncpg under v2 against the real PostgreSQL: spans, errors, secrets, DBM seen by the server."""

from __future__ import annotations

import asyncpg
import pytest
from helpers import PG_DSN
from helpers import assert_no_secret
from helpers import assert_span

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd

CONN_META = {
    "component": "asyncpg",
    "span.kind": "client",
    "db.system": "postgresql",
    "db.name": "test",
    "db.user": "postgres",
    "out.host": "127.0.0.1",
    "server.address": "127.0.0.1",
    "_dd.svc_src": "asyncpg",
}


@pytest.fixture
def patched():
    ddtrace_integrations.patch(asyncpg=True)
    yield
    ddtrace_integrations.unpatch(asyncpg=True)


async def test_connect_and_query_spans(patched, spans):
    conn = await asyncpg.connect(PG_DSN)
    try:
        assert await conn.fetchval("SELECT 41 + 1") == 42
    finally:
        await conn.close()
    assert_span(
        spans.one("postgres.connect"),
        service="postgres",
        resource="postgres.connect",
        span_type="sql",
        meta=CONN_META,
        metrics={"network.destination.port": 5432},
        absent=["_dd.measured"],
    )
    assert_span(
        spans.one("postgres.query", "SELECT 41 + 1"),
        service="postgres",
        span_type="sql",
        meta=CONN_META,
        metrics={"network.destination.port": 5432, "_dd.measured": 1},
    )


async def test_query_error_keeps_the_exception_and_tags_the_span(patched, spans):
    conn = await asyncpg.connect(PG_DSN)
    try:
        with pytest.raises(asyncpg.exceptions.PostgresSyntaxError):
            await conn.execute("SELEC 1")
        assert await conn.fetchval("SELECT 1") == 1  # the connection is still usable
    finally:
        await conn.close()
    assert_span(
        spans.one("postgres.query", "SELEC 1"),
        error=1,
        meta={"error.type": "asyncpg.exceptions.PostgresSyntaxError", **CONN_META},
    )


async def test_failed_connect_is_an_error_span(patched, spans):
    with pytest.raises(OSError):
        await asyncpg.connect("postgresql://postgres@127.0.0.1:1/test", timeout=2)
    assert_span(spans.one("postgres.connect"), error=1, absent=["out.host"])


async def test_dsn_password_never_reaches_a_tag(patched, spans):
    conn = await asyncpg.connect("postgresql://postgres:Sup3rSecretPw@127.0.0.1:5432/test")
    await conn.execute("SELECT 1")
    await conn.close()
    assert len(spans.spans) >= 2
    assert_no_secret(spans.spans, "Sup3rSecretPw")


async def test_one_span_per_query_not_per_row(patched, spans):
    conn = await asyncpg.connect(PG_DSN)
    try:
        rows = await conn.fetch("SELECT generate_series(1, 50)")
    finally:
        await conn.close()
    assert len(rows) == 50
    assert len(spans.named("postgres.query")) == 1


async def test_pool_connections_are_tagged(patched, spans):
    pool = await asyncpg.create_pool(PG_DSN, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT 3") == 3
    finally:
        await pool.close()
    assert_span(spans.one("postgres.query", "SELECT 3"), meta=CONN_META)


async def test_unpatch_restores_the_library(spans):
    from asyncpg.protocol import Protocol

    original = Protocol.query
    ddtrace_integrations.patch(asyncpg=True)
    assert Protocol.query is not original
    ddtrace_integrations.unpatch(asyncpg=True)
    assert Protocol.query is original and "query" not in vars(Protocol)
    conn = await asyncpg.connect(PG_DSN)
    await conn.execute("SELECT 1")
    await conn.close()
    assert spans.spans == []


# --- DBM, proven by what PostgreSQL itself recorded for the traced connection ---


async def _last_query_seen_by_server(pid: int) -> str:
    observer = await asyncpg.connect(PG_DSN)
    try:
        return await observer.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await observer.close()


@pytest.mark.parametrize("mode", ["service", "full"])
async def test_dbm_comment_reaches_postgresql(patched, spans, monkeypatch, mode):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", mode)
    monkeypatch.setattr(dd.config, "service", "orders-api")
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute("SELECT 'dbm-probe'")
        seen = await _last_query_seen_by_server(conn.get_server_pid())
    finally:
        await conn.close()
    span = spans.one("postgres.query", "SELECT 'dbm-probe'")
    comment = "dddb='test',dddbs='postgres',ddh='127.0.0.1',ddps='orders-api'"
    if mode == "full":
        flags = "01" if span.context.sampling_priority > 0 else "00"
        comment += f",traceparent='00-{span.trace_id:032x}-{span.span_id:016x}-{flags}'"
        assert span.get_tag("_dd.dbm_trace_injected") == "true"
    assert seen == f"/*{comment}*/ SELECT 'dbm-probe'"


async def test_dbm_leaves_prepared_statements_alone(patched, spans, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "full")
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.fetch("SELECT $1::text AS probe", "prepared")
        seen = await _last_query_seen_by_server(conn.get_server_pid())
    finally:
        await conn.close()
    assert seen == "SELECT $1::text AS probe"
    assert_span(spans.one("postgres.query", "SELECT $1::text AS probe"), absent=["_dd.dbm_trace_injected"])


async def test_concurrent_tasks_parent_their_own_queries(patched, spans):
    import asyncio

    from ddtrace.trace import tracer

    pool = await asyncpg.create_pool(PG_DSN, min_size=4, max_size=4)

    async def task(i: int) -> int:
        with tracer.trace("task", resource=str(i)):
            async with pool.acquire() as conn:
                await asyncio.sleep(0.01 * (i % 3))
                return await conn.fetchval(f"SELECT {i}")

    try:
        assert await asyncio.gather(*(task(i) for i in range(12))) == list(range(12))
    finally:
        await pool.close()
    for i in range(12):
        parent = spans.one("task", str(i))
        query = spans.one("postgres.query", f"SELECT {i}")
        assert (query.trace_id, query.parent_id) == (parent.trace_id, parent.span_id)
