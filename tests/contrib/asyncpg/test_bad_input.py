"""The bad-input catalog for asyncpg against the real PostgreSQL: each case's traced outcome is the untraced
one (computed here, with the plugins off), with its spans made, its skip logged, or (the library refusing the
call before a traced method runs) nothing of ours at all; with DBM comments off and in full mode."""

from __future__ import annotations

import logging
from typing import Any
from typing import Awaitable
from typing import Callable
from typing import Dict
from typing import Tuple

import asyncpg
import pytest
from helpers import PG_DSN
from helpers import assert_same_and_traced
from helpers import async_outcome
from helpers import patched_fixture
from helpers import plugins_off

from ddtrace_integrations import _ddtrace as dd

BIG = "SELECT length('" + "x" * 2**20 + "')"
QUERY, CONNECT = "postgres.query", "postgres.connect"


async def broken(conn: Any) -> Any:
    """The server ends the connection during one statement; the next runs on the broken connection."""
    try:
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        first: Any = None
    except Exception as exc:
        first = type(exc)
    try:
        return first, await conn.fetchval("SELECT 1")
    except Exception as exc:  # the message says how the socket was found closed, which varies
        raise RuntimeError(first, type(exc)) from exc


async def closed(conn: Any) -> Any:
    await conn.close()
    return await conn.fetchval("SELECT 1")


async def in_transaction_error(conn: Any) -> Any:
    async with conn.transaction():
        await conn.execute("SELEC broken")


# name -> (case, span name, spans, whether a traced method runs)
CASES: Dict[str, Tuple[Callable[[Any], Awaitable[Any]], str, int, bool]] = {
    "execute_none": (lambda c: c.execute(None), QUERY, 1, True),
    "fetch_none": (lambda c: c.fetch(None), QUERY, 0, False),
    "execute_bytes": (lambda c: c.execute(b"SELECT 1"), QUERY, 1, True),
    "fetch_bytes": (lambda c: c.fetch(b"SELECT 1"), QUERY, 0, False),
    "execute_int": (lambda c: c.execute(42), QUERY, 1, True),
    "execute_empty": (lambda c: c.execute(""), QUERY, 1, True),
    "lone_surrogate": (lambda c: c.execute("SELECT '\udcff'"), QUERY, 1, True),
    "unicode": (lambda c: c.fetch("SELECT '\u2603 \U0001f600'"), QUERY, 1, True),
    "execute_megabyte": (lambda c: c.execute(BIG), QUERY, 1, True),
    "fetch_megabyte": (lambda c: c.fetchval(BIG), QUERY, 1, True),
    "fetch_wrong_arg_count": (lambda c: c.fetch("SELECT $1::int, $2::int", 1), QUERY, 1, True),
    "fetch_wrong_arg_type": (lambda c: c.fetch("SELECT $1::int", "one"), QUERY, 1, True),
    "executemany_none": (lambda c: c.executemany(None, [(1,)]), QUERY, 0, False),
    "executemany_no_rows": (lambda c: c.executemany("SELECT $1::int", []), QUERY, 1, True),
    "in_transaction_error": (in_transaction_error, QUERY, 3, True),
    "closed_connection": (closed, QUERY, 0, False),
    "broken_connection": (broken, QUERY, 1, True),
    "connect_refused": (lambda c: asyncpg.connect("postgresql://postgres@127.0.0.1:1/test"), CONNECT, 1, True),
    "connect_bad_dsn": (lambda c: asyncpg.connect("postgresql://[::1:5432/test"), CONNECT, 1, True),
    "connect_ipv6": (lambda c: asyncpg.connect("postgresql://postgres@[::1]:1/test"), CONNECT, 1, True),
    "connect_bad_option": (lambda c: asyncpg.connect(PG_DSN + "?sslmode=bogus"), CONNECT, 1, True),
}


patched = patched_fixture(scope="module", autouse=True, asyncpg=True)


async def run(case: Callable[[Any], Awaitable[Any]], spans: Any, caplog: Any) -> Any:
    conn = await asyncpg.connect(PG_DSN)
    spans.clear()
    caplog.clear()
    try:
        found = await async_outcome(lambda: case(conn))
        if found[0] == "returned" and isinstance(found[1], asyncpg.Connection):
            await found[1].close()
            found = ("returned", "a connection")
        return found
    finally:
        await conn.close()


@pytest.mark.parametrize("dbm", ["disabled", "full"])
@pytest.mark.parametrize("name", sorted(CASES))
async def test_bad_input_behaves_as_untraced(name, dbm, spans, caplog, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", dbm)
    caplog.set_level(logging.DEBUG, logger="ddtrace_integrations")
    case, span_name, count, reached = CASES[name]
    with plugins_off("asyncpg"):
        untraced = await run(case, spans, caplog)
    traced = await run(case, spans, caplog)
    found = spans.named(span_name)
    assert_same_and_traced(
        untraced, traced, found, count, caplog.records, "asyncpg", reached=reached, commented=dbm == "full"
    )
