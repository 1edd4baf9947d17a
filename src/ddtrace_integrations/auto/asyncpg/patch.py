"""asyncpg publisher: ``asyncpg.connect`` and the protocol's query methods."""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any
from typing import Dict
from typing import Optional
from typing import Tuple

from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext

supported_versions = {"asyncpg": ">=0.23.0"}
publisher = Publisher("asyncpg")
PROTOCOL_METHODS = ("execute", "bind_execute", "query", "bind_execute_many")

# protocol -> (host, port, user, database), recorded for every connection, however it was created.
_connections: weakref.WeakKeyDictionary[Any, Tuple[Any, ...]] = weakref.WeakKeyDictionary()


def _info(conn: Any) -> Tuple[Any, ...]:
    addr, params = conn._addr, conn._params
    host, port = addr if isinstance(addr, tuple) and len(addr) == 2 else (None, None)
    return host, port, params.user, params.database


_UNKNOWN = (None, None, None, None)


def _context(info: Optional[Tuple[Any, ...]], query: Any = None, dbm_injectable: bool = False) -> DatabaseContext:
    host, port, user, database = info or _UNKNOWN
    return DatabaseContext("postgresql", query, host, port, user, database, dbm_injectable=dbm_injectable)


def _connect_done(ctx: Any, conn: Any) -> None:
    if conn is not None:
        db = ctx.get_item("db_context")
        db.host, db.port, db.user, db.database = _info(conn)


def _query_items(protocol: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    first: Any = argument(args, kwargs, 0, "query")
    if first is None:
        first = kwargs.get("state")
    plain = isinstance(first, (str, bytes))  # a prepared statement's state is never commented
    query = first if plain else getattr(first, "query", first)  # asyncpg refuses anything else itself
    return {"db_context": _context(_connections.get(protocol), query, plain)}


def _with_comment(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    commented = ctx.get_item("db_context").commented_query
    return (args, kwargs) if commented is None else replace_argument(args, kwargs, 0, "query", commented)


def _record_connection(wrapped: Any, conn: Any, args: Args, kwargs: Kwargs) -> None:
    wrapped(*args, **kwargs)
    _connections[conn._protocol] = _info(conn)


def patch(asyncpg: ModuleType) -> None:
    connection, protocol = asyncpg.connection, asyncpg.protocol
    publisher.pin(asyncpg)
    connect = Event(
        "asyncpg.connect", lambda *_: {"db_context": _context(None)}, pin_source=asyncpg, done=_connect_done
    )
    query = Event("asyncpg.execute", _query_items, pin_source=asyncpg, rewrite=_with_comment)
    publisher.wrap(asyncpg, "connect", traced_async(connect))
    publisher.wrap(connection.Connection, "__init__", _record_connection)
    for method in PROTOCOL_METHODS:
        publisher.wrap(protocol.Protocol, method, traced_async(query))


def unpatch(asyncpg: ModuleType) -> None:
    publisher.unwrap_all()
