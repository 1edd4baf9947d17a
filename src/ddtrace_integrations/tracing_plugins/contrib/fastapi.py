"""FastAPI: the request span (ddtrace's ASGI middleware's, a websocket's handshake too), the websocket messages'
spans, ``fastapi.serialize_response`` and the background tasks' spans."""

from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketClosePlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketReceivePlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketSendPlugin
from ddtrace_integrations.tracing_plugins.contrib.starlette import BackgroundTaskPlugin
from ddtrace_integrations.tracing_plugins.contrib.starlette import BareInternalPlugin
from ddtrace_integrations.tracing_plugins.contrib.starlette import asgi_settings

SETTINGS = asgi_settings("fastapi")


class FastAPIPlugin(RouterPlugin):
    measured = False  # ddtrace's ASGI middleware does not mark its span
    package = "fastapi"
    operation = "request"
    config_defaults = SETTINGS


class FastAPIWebSocketReceivePlugin(WebSocketReceivePlugin):
    package = "fastapi"
    config_defaults = SETTINGS


class FastAPIWebSocketSendPlugin(WebSocketSendPlugin):
    package = "fastapi"
    config_defaults = SETTINGS


class FastAPIWebSocketClosePlugin(WebSocketClosePlugin):
    package = "fastapi"
    config_defaults = SETTINGS


class FastAPIInternalPlugin(BareInternalPlugin):
    package = "fastapi"
    config_defaults = SETTINGS


class FastAPITaskPlugin(BackgroundTaskPlugin):
    package = "fastapi"
    config_defaults = SETTINGS
