"""The bad-input catalog shared by the DB-API drivers' ``test_bad_input`` modules (psycopg, mysql).

Each case is a coroutine function ``case(conn, sql)`` run against a fresh connection (``sql``: the driver's
``sql`` module for composed queries, or None); sync drivers' calls return plain values, async drivers'
awaitables, and ``maybe`` takes both. A case returns what the application sees; an exception propagates.
"""

from __future__ import annotations

from typing import Any
from typing import Awaitable
from typing import Callable
from typing import Dict
from typing import Optional
from typing import Tuple

from helpers import maybe

Case = Callable[[Any, Any], Awaitable[Any]]
MEGABYTE = 2**20


async def rows(cursor: Any) -> Any:
    if cursor.description:
        return [tuple(row) for row in await maybe(cursor.fetchall())]
    return cursor.rowcount


def execute(query: Any, params: Any = None, method: str = "execute") -> Case:
    async def case(conn: Any, sql: Any) -> Any:
        cursor = await maybe(conn.cursor())
        call = getattr(cursor, method)
        await maybe(call(query) if params is None else call(query, params))
        return await rows(cursor)

    return case


def composed(conn: Any, sql: Any) -> Awaitable[Any]:
    return execute(sql.SQL("SELECT {} AS {}").format(sql.Literal("x\xff"), sql.Identifier("a b")))(conn, sql)


class Stringy:
    """Not a string, but says it is one: drivers refuse it, the refusal must be theirs."""

    def __str__(self) -> str:
        return "SELECT 1"


async def closed_cursor(conn: Any, sql: Any) -> Any:
    cursor = await maybe(conn.cursor())
    await maybe(cursor.close())
    await maybe(cursor.execute("SELECT 1"))
    return await rows(cursor)


async def closed_connection(conn: Any, sql: Any) -> Any:
    cursor = await maybe(conn.cursor())
    await maybe(conn.close())
    await maybe(cursor.execute("SELECT 1"))
    return await rows(cursor)


class Broken(Exception):
    """What the application saw of a dropped connection: the exception types only (the drivers' messages
    depend on how the socket was found closed, which varies from run to run)."""


def broken_connection(kill: str) -> Case:
    """The server drops the connection during one statement; the next statement runs on the broken one."""

    async def case(conn: Any, sql: Any) -> Any:
        cursor = await maybe(conn.cursor())
        first: Any = None
        try:
            await maybe(cursor.execute(kill))
            first = await rows(cursor)
        except Exception as exc:
            first = type(exc)
        try:
            await maybe(cursor.execute("SELECT 1"))
        except Exception as exc:
            raise Broken(first, _lost(exc)) from exc
        return first, await rows(cursor)

    return case


def _lost(exc: Exception) -> Any:
    """How the driver reported a statement on the dropped connection. mysql-connector's class depends on when the
    server's reset arrived (InterfaceError for a write into a broken pipe, OperationalError for a read that found
    the socket closed), which is timing, not tracing: a cold run on a loaded machine saw the untraced run get one and
    the traced run the other. Both count as one."""
    return "lost connection" if type(exc).__name__ in ("OperationalError", "InterfaceError") else type(exc)


# name -> (case, query spans it makes)
CASES: Dict[str, Tuple[Case, int]] = {
    "none": (execute(None), 1),
    "empty": (execute(""), 1),
    "blank": (execute(b" \n\t"), 1),
    "bytes": (execute(b"SELECT 1"), 1),
    "non_utf8_bytes": (execute(b"SELECT '\xff\xfe'"), 1),
    "megabyte": (execute("SELECT LENGTH('" + "x" * MEGABYTE + "')"), 1),
    "int": (execute(42), 1),
    "list": (execute(["SELECT 1"]), 1),
    "str_subclass_free_object": (execute(Stringy()), 1),
    "unicode": (execute("SELECT '\u2603 \U0001f600'"), 1),
    "percent_without_params": (execute("SELECT '100%'"), 1),
    "missing_params": (execute("SELECT %s, %s", (1,)), 1),
    "executemany_none": (execute(None, [(1,)], method="executemany"), 1),
    "executemany_no_rows": (execute("SELECT %s", [], method="executemany"), 1),
    "closed_cursor": (closed_cursor, 1),
    "closed_connection": (closed_connection, 1),
}


def cases(
    kill: str, extra: Optional[Dict[str, Tuple[Case, int]]] = None, counts: Optional[Dict[str, int]] = None
) -> Dict[str, Tuple[Case, int]]:
    """The catalog for one driver: ``kill`` ends the connection from the server side; ``counts`` overrides
    the number of spans of a case where the driver makes the call differently."""
    found = {**CASES, "broken_connection": (broken_connection(kill), 2), **(extra or {})}
    for name, count in (counts or {}).items():
        found[name] = (found[name][0], count)
    return found
