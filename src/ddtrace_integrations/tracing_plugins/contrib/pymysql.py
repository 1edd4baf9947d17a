"""PyMySQL: query, fetch and connection spans, as ddtrace's pymysql integration."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.database import dbapi_settings


class PyMySQLPlugin(DbApiPlugin):
    package = "pymysql"
    operation = "execute"
    system = "mysql"
    query_name = "pymysql.query"
    config_defaults = {"_default_service": dd.schematize_service_name("pymysql"), **dbapi_settings("pymysql")}


class PyMySQLFetchPlugin(DatabaseFetchPlugin, PyMySQLPlugin):
    pass


class PyMySQLConnectionPlugin(DatabaseConnectionPlugin, PyMySQLPlugin):
    pass
