"""psycopg and psycopg2: query, fetch, connection and connect spans, as ddtrace's psycopg integration."""

import sys
from typing import Any

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.database import dbapi_settings
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext


class PsycopgPlugin(DbApiPlugin):
    package = "psycopg"
    operation = "execute"
    system = "postgresql"
    query_name = "postgres.query"
    config_defaults = {"_default_service": dd.schematize_service_name("postgres"), **dbapi_settings("psycopg")}

    def resource(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> Any:
        query = db.query
        if type(query) is str:  # most queries
            return query
        sql = _sql_module(query)  # sql.SQL and sql.Composed are rendered against the cursor
        return query.as_string(ctx.get_item("instance")) if sql else query

    def prepend_comment(self, comment: str, query: Any) -> Any:
        sql = _sql_module(query)
        return sql.SQL(comment) + query if sql else super().prepend_comment(comment, query)


def _sql_module(query: Any) -> Any:
    """psycopg's or psycopg2's ``sql`` module when ``query`` is one of its Composables."""
    if isinstance(query, (str, bytes)):  # most queries: no module lookup, no failed attribute lookup
        return None
    sql = sys.modules.get(type(query).__module__)
    composable = getattr(sql, "Composable", None)
    return sql if composable is not None and isinstance(query, composable) else None


class PsycopgFetchPlugin(DatabaseFetchPlugin, PsycopgPlugin):
    pass


class PsycopgConnectionPlugin(DatabaseConnectionPlugin, PsycopgPlugin):
    pass


class PsycopgConnectPlugin(DatabaseConnectPlugin, PsycopgPlugin):
    pass
