"""aiohttp client: the request span and the connector's connect span, as ddtrace's aiohttp integration."""

from typing import Any
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.http_client import HTTPClientPlugin
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin


class AiohttpClientPlugin(HTTPClientPlugin):
    package = "aiohttp_client"
    operation = "request"
    http_operation = "aiohttp.request"
    measured = False
    split_with_port = False
    config_defaults = dd.http_client_settings("aiohttp_client")


class AiohttpConnectPlugin(TracingPlugin):
    """``<Connector>.connect``: the wait for a pooled or new connection, under the request span."""

    package = "aiohttp"
    operation = "connect"
    kind = "client"
    service_at_start = True

    def service(self, pin: Any) -> Optional[str]:
        return None  # part of its request: the span inherits the request span's service

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        self.start_span(ctx, ctx.get_item("operation_name"))
