"""sqlite3: query, fetch and connection spans, as ddtrace's sqlite integration (``ddtrace.config.sqlite``)."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin


class SqlitePlugin(DbApiPlugin):
    package = "sqlite"
    operation = "execute"
    system = "sqlite"
    query_name = "sqlite.query"
    config_defaults = {
        "_default_service": dd.schematize_service_name("sqlite"),
        "trace_fetch_methods": dd.env_flag("DD_SQLITE_TRACE_FETCH_METHODS"),
    }


class SqliteFetchPlugin(DatabaseFetchPlugin, SqlitePlugin):
    pass


class SqliteConnectionPlugin(DatabaseConnectionPlugin, SqlitePlugin):
    pass
