"""Flask: the request span and the spans inside it, as ddtrace's Flask integration."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.internal import InternalPlugin
from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin

SETTINGS = {"_default_service": dd.schematize_service_name("flask"), "collect_view_args": True}
SETTINGS.update(distributed_tracing_enabled=True, template_default_name="<memory>", trace_signals=True)


class FlaskPlugin(RouterPlugin):
    package = "flask"
    operation = "request"
    config_defaults = SETTINGS


class FlaskInternalPlugin(InternalPlugin):
    package = "flask"
    config_defaults = SETTINGS
