"""Plugins for the fake DB-API driver: the four DB-API plugin kinds, declarations only."""

from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.database import dbapi_settings


class FakeDbApiPlugin(DbApiPlugin):
    package = "fakedbapi"
    operation = "execute"
    system = "fakesql"
    query_name = "fakesql.query"
    config_defaults = {"_default_service": "fakesql", **dbapi_settings("fakedbapi")}


class FakeDbApiFetchPlugin(DatabaseFetchPlugin, FakeDbApiPlugin):
    pass


class FakeDbApiConnectionPlugin(DatabaseConnectionPlugin, FakeDbApiPlugin):
    pass


class FakeDbApiConnectPlugin(DatabaseConnectPlugin, FakeDbApiPlugin):
    pass
