"""psycopg (3) and psycopg2 publishers, on the DB-API layer.

psycopg's classes are Python and are wrapped in place. psycopg2's connection and cursor are C types:
they are given traced subclasses (real subclasses, so C-level type checks such as ``register_type``
still pass) through ``connect``'s ``connection_factory`` and the connection's ``cursor``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict

from ddtrace_integrations.dbapi import EXECUTE
from ddtrace_integrations.dbapi import FETCH
from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import ConnectionInfo
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext

supported_versions = {"psycopg": ">=3.0.0", "psycopg2": ">=2.9.10"}
CURSOR = EXECUTE + FETCH


def get_version(module: ModuleType) -> str:
    return str(getattr(module, "__version__", "")).split(" ")[0]


def _info(params: Dict[str, Any]) -> ConnectionInfo:
    port = params.get("port") or 5432
    app = params.get("application_name")
    return {
        "host": params.get("host"),
        "port": int(port) if str(port).isdigit() else None,
        "user": params.get("user"),
        "database": params.get("dbname"),
        "tags": {"db.application": app} if app else {},
    }


def _connect_event(name: str, module: ModuleType) -> Event:
    build = lambda *_: {"db_context": DatabaseContext("postgresql", method=name)}  # noqa: E731
    return Event("psycopg.connect", build, pin_source=module)


def patch(module: ModuleType) -> None:
    if module.__name__ == "psycopg":
        _patch_psycopg(module)
    else:
        _patch_psycopg2(module)


def _patch_psycopg(psycopg: ModuleType) -> None:
    to_dict = psycopg.conninfo.conninfo_to_dict
    driver = Driver(
        "psycopg",
        "postgresql",
        lambda conn: _info(to_dict(conn.info.dsn)),
        pin_source=psycopg,
        prepared=lambda cursor, args, kwargs: bool(kwargs.get("prepare")),
    )
    publisher = publisher_for(psycopg, driver)
    publisher.wrap_methods(psycopg.Cursor, psycopg.AsyncCursor, psycopg.ServerCursor, psycopg.AsyncServerCursor)
    publisher.wrap_methods(psycopg.Connection, psycopg.AsyncConnection, methods=TRANSACTION)
    publisher.wrap(psycopg.AsyncConnection, "execute", traced_async(publisher.connection_event("execute")))
    publisher.wrap(psycopg, "connect", traced(_connect_event("psycopg.connection.connect", psycopg)))
    publisher.wrap(psycopg.Connection, "connect", traced(_connect_event("psycopg.connection.connect", psycopg)))
    async_connect = _connect_event("psycopg.connection_async.connect", psycopg)
    publisher.wrap(psycopg.AsyncConnection, "connect", traced_async(async_connect))


def _patch_psycopg2(psycopg2: ModuleType) -> None:
    ext = psycopg2.extensions
    driver = Driver("psycopg", "postgresql", lambda conn: _info(ext.parse_dsn(conn.dsn)), pin_source=psycopg2)
    publisher = publisher_for(psycopg2, driver)

    def cursor(wrapped: Any, conn: Any, args: Args, kwargs: Kwargs) -> Any:
        factory = argument(args, kwargs, 1, "cursor_factory")
        mro = type(conn).__mro__
        if factory is None and not any("cursor" in vars(k) for k in mro[1 : mro.index(ext.connection)]):
            factory = conn.cursor_factory or ext.cursor  # no Python override will choose a factory
        if factory is ext.cursor:  # C's own cursor cannot change class later: pick the traced one now
            args, kwargs = replace_argument(args, kwargs, 1, "cursor_factory", publisher.traced_class(factory, CURSOR))
        return publisher.adopt(wrapped(*args, **kwargs), CURSOR)

    def connect(wrapped: Any, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        factory = argument(args, kwargs, 1, "connection_factory") or ext.connection
        if isinstance(factory, type) and issubclass(factory, ext.connection):
            traced_factory = publisher.traced_class(factory, TRANSACTION, cursor=cursor)
            args, kwargs = replace_argument(args, kwargs, 1, "connection_factory", traced_factory)
        return publisher.adopt(traced_connect(wrapped, instance, args, kwargs), TRANSACTION, cursor=cursor)

    traced_connect = traced(_connect_event("psycopg2.connect", psycopg2))
    publisher.wrap(psycopg2, "connect", connect)
