"""requests: one client span per ``Session.send``, as ddtrace's requests integration."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.http_client import HTTPClientPlugin


class RequestsPlugin(HTTPClientPlugin):
    package = "requests"
    operation = "send"
    http_operation = "requests.request"
    pin_service = False  # ddtrace's requests integration names its service from its settings alone
    config_defaults = {
        "_default_service": dd.schematize_service_name("requests"),
        **dd.http_client_settings("requests"),
    }

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        # The OpenTelemetry exporters post through requests: ddtrace leaves their exports untraced.
        if not dd.otlp_export(dd.context_items(ctx)["http_context"]):
            super().on_start(ctx)
