"""mysql-connector-python: query, fetch and connection spans, as ddtrace's mysql integration."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.database import dbapi_settings


class MySQLPlugin(DbApiPlugin):
    package = "mysql"
    operation = "execute"
    system = "mysql"
    query_name = "mysql.query"
    config_defaults = {"_default_service": dd.schematize_service_name("mysql"), **dbapi_settings("mysql")}


class MySQLFetchPlugin(DatabaseFetchPlugin, MySQLPlugin):
    pass


class MySQLConnectionPlugin(DatabaseConnectionPlugin, MySQLPlugin):
    pass
