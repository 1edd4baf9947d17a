"""asyncpg: query and connect spans, as ddtrace's asyncpg integration names them."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DatabasePlugin
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext


class AsyncpgExecutePlugin(DatabasePlugin):
    package = "asyncpg"
    operation = "execute"
    system = "postgresql"
    query_name = "postgres.query"
    config_defaults = {"_default_service": dd.schematize_service_name("postgres")}


class AsyncpgConnectPlugin(AsyncpgExecutePlugin):
    operation = "connect"
    measured = False
    tags_at_finish = True

    def operation_name(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> str:
        return "postgres.connect"  # not schematized in ddtrace either
