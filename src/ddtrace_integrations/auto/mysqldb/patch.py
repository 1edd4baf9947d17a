"""mysqlclient (``MySQLdb``) publisher, on the DB-API layer.

Connections are published from ``Connection.__init__``, which every alias (``connect``, ``Connect``,
``Connection``) reaches; commit and rollback come from the C base class and are wrapped on the subclass.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import ConnectionInfo
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import defining
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext

supported_versions = {"MySQLdb": "*"}


def get_version(mysqldb: ModuleType) -> str:
    return ".".join(map(str, mysqldb.version_info[:3]))


def _info(conn: Any) -> ConnectionInfo:
    return {"host": conn.host, "port": conn.port, "user": conn.user, "database": conn.db}


def _connect_items(*_: Any) -> Any:
    return {"db_context": DatabaseContext("mysql", method="MySQLdb.connection.connect")}


def patch(mysqldb: ModuleType) -> None:
    publisher = publisher_for(mysqldb, Driver("mysqldb", "mysql", _info, mysqldb))
    connection = importlib.import_module("MySQLdb.connections").Connection  # imported lazily by MySQLdb
    publisher.wrap_methods(*defining(importlib.import_module("MySQLdb.cursors")))
    publisher.wrap_methods(connection, methods=TRANSACTION, inherited=True)
    publisher.wrap(connection, "__init__", traced(Event("mysqldb.connect", _connect_items, pin_source=mysqldb)))
