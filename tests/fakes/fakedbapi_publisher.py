"""The fake DB-API driver's publisher: what an integration author declares for a new driver."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import defining
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext

supported_versions = {"fakedbapi": ">=2.0"}


def _info(conn: Any) -> dict:
    return {"host": conn.host, "port": conn.port, "user": conn.user, "database": conn.db}


def patch(fakedbapi: ModuleType) -> None:
    publisher = publisher_for(fakedbapi, Driver("fakedbapi", "fakesql", _info, fakedbapi))
    publisher.wrap_methods(*defining(fakedbapi))
    publisher.wrap_methods(fakedbapi.Connection, methods=TRANSACTION)
    build = lambda *_: {"db_context": DatabaseContext("fakesql", method="fakedbapi.connect")}  # noqa: E731
    connect = Event("fakedbapi.connect", build, pin_source=fakedbapi)
    publisher.wrap(fakedbapi, "connect", traced(connect))
