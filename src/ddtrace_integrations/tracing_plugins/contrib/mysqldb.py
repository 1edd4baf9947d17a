"""mysqlclient (MySQLdb): query, fetch, connection and connect spans, as ddtrace's mysqldb integration."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.database import dbapi_settings


class MySQLdbPlugin(DbApiPlugin):
    package = "mysqldb"
    operation = "execute"
    system = "mysql"
    query_name = "mysql.query"
    config_defaults = {"_default_service": dd.schematize_service_name("mysql"), **dbapi_settings("mysqldb")}


class MySQLdbFetchPlugin(DatabaseFetchPlugin, MySQLdbPlugin):
    pass


class MySQLdbConnectionPlugin(DatabaseConnectionPlugin, MySQLdbPlugin):
    pass


class MySQLdbConnectPlugin(DatabaseConnectPlugin, MySQLdbPlugin):
    service_at_start = False  # ddtrace's mysqldb connect span is renamed after it starts
    tracer_service_source = False
