"""mysql-connector-python publisher (pure, C extension and ``mysql.connector.aio``), on the DB-API layer."""

from __future__ import annotations

import importlib
import weakref
from types import ModuleType
from typing import Any

from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import ConnectionInfo
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import defining
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch

supported_versions = {"mysql.connector": ">=8.0.5", "mysql.connector.aio": ">=8.0.5"}
# module patched -> (cursor modules, connection modules); the C extension's modules only where it loads
MODULES = {
    "mysql.connector": (("cursor", "cursor_cext"), ("connection", "connection_cext")),
    "mysql.connector.aio": (("aio.cursor",), ("aio.connection",)),
}


def get_version(module: ModuleType) -> str:
    return importlib.import_module("mysql.connector.version").VERSION_TEXT


def _info(conn: Any) -> ConnectionInfo:
    # _database is the name given at connect; the public property would query the server mid-call
    return {"host": conn.server_host, "port": conn.server_port, "user": conn.user, "database": conn._database}


def _connection(cursor: Any) -> Any:
    connection = getattr(cursor, "_connection", None) or cursor._cnx
    if type(connection) is weakref.ProxyType:
        # cursors hold a weak proxy, which can be neither hashed nor weakly referenced: the connection itself (a
        # bound method's ``__self__``) lets its info be read once per connection
        return connection.close.__self__
    return connection


def _prepared(cursor_class: type) -> bool:
    return "Prepared" in cursor_class.__name__


def _submodules(names: Any) -> Any:
    for name in names:
        try:
            yield importlib.import_module(f"mysql.connector.{name}")
        except ImportError:  # the C extension is optional
            continue


def patch(module: ModuleType) -> None:
    driver = Driver(
        "mysql", "mysql", _info, module, connection_of=_connection, query_keyword="operation", prepared_class=_prepared
    )
    publisher = publisher_for(module, driver)
    cursors, connections = MODULES[module.__name__]
    for cursor_module in _submodules(cursors):
        publisher.wrap_methods(*defining(cursor_module))
    for connection_module in _submodules(connections):
        publisher.wrap_methods(*defining(connection_module, TRANSACTION), methods=TRANSACTION)
