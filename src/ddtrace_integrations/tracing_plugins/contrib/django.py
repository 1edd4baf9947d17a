"""Django: the request span and the spans inside it, as ddtrace's Django integration."""

from typing import Any
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.internal import INTERNAL
from ddtrace_integrations.tracing_plugins.base.internal import InternalPlugin
from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin

_MINIMAL = dd.env_flag("DD_DJANGO_TRACING_MINIMAL", True)
SETTINGS = {
    "_default_service": dd.schematize_service_name("django"),
    "cache_service_name": dd.env_text("DD_DJANGO_CACHE_SERVICE", "django"),
    "database_service_name": dd.env_text("DD_DJANGO_DATABASE_SERVICE", ""),
    "database_service_name_prefix": dd.env_text("DD_DJANGO_DATABASE_SERVICE_NAME_PREFIX", ""),
    "trace_fetch_methods": dd.env_flag("DD_DJANGO_TRACE_FETCH_METHODS"),
    "distributed_tracing_enabled": True,
    "instrument_middleware": dd.env_flag("DD_DJANGO_INSTRUMENT_MIDDLEWARE", True),
    "instrument_templates": dd.env_flag("DD_DJANGO_INSTRUMENT_TEMPLATES", not _MINIMAL),
    "instrument_databases": dd.env_flag("DD_DJANGO_INSTRUMENT_DATABASES", not _MINIMAL),
    "instrument_caches": dd.env_flag("DD_DJANGO_INSTRUMENT_CACHES", not _MINIMAL),
    "include_user_name": dd.env_flag("DD_DJANGO_INCLUDE_USER_NAME", True),
    "use_handler_resource_format": dd.env_flag("DD_DJANGO_USE_HANDLER_RESOURCE_FORMAT"),
    "use_handler_with_url_name_resource_format": dd.env_flag("DD_DJANGO_USE_HANDLER_WITH_URL_NAME_RESOURCE_FORMAT"),
    "use_legacy_resource_format": dd.env_flag("DD_DJANGO_USE_LEGACY_RESOURCE_FORMAT"),
}


class DjangoPlugin(RouterPlugin):
    package = "django"
    operation = "request"
    config_defaults = SETTINGS
    keep_user_resource = True


class DjangoInternalPlugin(InternalPlugin):
    package = "django"
    config_defaults = SETTINGS


class DjangoCachePlugin(InternalPlugin):
    package = "django"
    operation = "cache_call"
    config_defaults = SETTINGS

    def service(self, pin: Any) -> Optional[str]:
        return dd.schematize_service_name(self.integration_config.get("cache_service_name"))

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        tags = ctx.get_item(INTERNAL).tags
        if exc_info[1] is not None and tags:  # a call that raised counted nothing: no db.row_count, as under ddtrace
            tags.pop("db.row_count", None)
        super().on_finish(ctx, exc_info)


class DjangoDatabasePlugin(DbApiPlugin):
    """Queries through Django's cursor whose driver no integration traces: ``<vendor>.query``."""

    package = "django"
    operation = "execute"
    config_defaults = SETTINGS

    component = "django-database"

    def operation_name(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> str:
        return dd.schematize_database_operation(f"{db.db_system}.query", database_provider=db.db_system)
