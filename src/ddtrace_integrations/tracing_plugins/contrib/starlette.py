"""Starlette: the request span (ddtrace's ASGI middleware's, a websocket's handshake too), the websocket messages'
spans and the background tasks' spans."""

from typing import Any
from typing import Dict

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.internal import InternalPlugin
from ddtrace_integrations.tracing_plugins.base.router import WEBSOCKETS
from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin
from ddtrace_integrations.tracing_plugins.base.websocket import INHERIT_SAMPLING
from ddtrace_integrations.tracing_plugins.base.websocket import SEPARATE_TRACES
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketClosePlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketReceivePlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketSendPlugin


def asgi_settings(package: str) -> Dict[str, Any]:
    """ddtrace's settings for a framework under its ASGI middleware (shared with FastAPI)."""
    separate = dd.env_flag("DD_TRACE_WEBSOCKET_MESSAGES_SEPARATE_TRACES", True)
    return {
        "_default_service": dd.schematize_service_name(package),
        "request_span_name": f"{package}.request",
        "distributed_tracing": True,
        "obfuscate_404_resource": dd.env_flag("DD_ASGI_OBFUSCATE_404_RESOURCE"),
        WEBSOCKETS: dd.env_flag("DD_TRACE_WEBSOCKET_MESSAGES_ENABLED", dd.env_flag("DD_ASGI_TRACE_WEBSOCKET", True)),
        SEPARATE_TRACES: separate,
        INHERIT_SAMPLING: dd.env_flag("DD_TRACE_WEBSOCKET_MESSAGES_INHERIT_SAMPLING", True) and separate,
    }


SETTINGS = asgi_settings("starlette")


class StarlettePlugin(RouterPlugin):
    measured = False  # ddtrace's ASGI middleware does not mark its span
    package = "starlette"
    operation = "request"
    config_defaults = SETTINGS


class StarletteWebSocketReceivePlugin(WebSocketReceivePlugin):
    package = "starlette"
    config_defaults = SETTINGS


class StarletteWebSocketSendPlugin(WebSocketSendPlugin):
    package = "starlette"
    config_defaults = SETTINGS


class StarletteWebSocketClosePlugin(WebSocketClosePlugin):
    package = "starlette"
    config_defaults = SETTINGS


class BareInternalPlugin(InternalPlugin):
    """Spans ddtrace starts with the bare tracer: no component tag, the service the tracer gives them."""

    def span_attributes(self) -> Dict[str, Any]:
        return {}


class BackgroundTaskPlugin(BareInternalPlugin):
    """A queued task's span: a trace of its own, linked to the span that queued the task."""

    operation = "background_task"

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        internal = dd.context_items(ctx)["internal_context"]
        span = self.start_span(
            ctx, internal.name, resource=internal.resource, child_of=None, inherit_service=True, service_source=False
        )
        queued_by = dd.context_items(ctx).get("queued_by")
        if span is not None and queued_by is not None:
            span.link_span(queued_by.context)


class StarletteTaskPlugin(BackgroundTaskPlugin):
    package = "starlette"
    config_defaults = SETTINGS
