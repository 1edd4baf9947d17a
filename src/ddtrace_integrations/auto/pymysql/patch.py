"""PyMySQL publisher, on the DB-API layer: every connection is traced, however it was created."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import ConnectionInfo
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import defining
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch

supported_versions = {"pymysql": ">=0.10"}


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _info(conn: Any) -> ConnectionInfo:
    return {"host": conn.host, "port": conn.port, "user": _text(conn.user), "database": _text(conn.db)}


def patch(pymysql: ModuleType) -> None:
    publisher = publisher_for(pymysql, Driver("pymysql", "mysql", _info, pymysql))
    publisher.wrap_methods(*defining(pymysql.cursors))
    publisher.wrap_methods(pymysql.connections.Connection, methods=TRANSACTION)
