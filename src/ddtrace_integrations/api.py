"""The public API for writing an integration: everything a publisher or a plugin may use, in one stable module.

Integrations (built-in or in another package, through the ``ddtrace_integrations.plugins`` entry points) import
from here, never from ``ddtrace_integrations._ddtrace`` or ``ddtrace.internal``: what moves behind these names
with a ddtrace release is this package's concern. See docs/writing-an-integration.md.
"""

from __future__ import annotations

from ddtrace_integrations import _ddtrace
from ddtrace_integrations._patching import Integration
from ddtrace_integrations.dbapi import EXECUTE
from ddtrace_integrations.dbapi import FETCH
from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import DbApiPublisher
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import defining
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch_dbapi
from ddtrace_integrations.messaging import acknowledged
from ddtrace_integrations.messaging import headers_rewrite
from ddtrace_integrations.messaging import send_items
from ddtrace_integrations.messaging import with_headers
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Build
from ddtrace_integrations.publisher import Done
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Parameters
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import Rewrite
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import class_name
from ddtrace_integrations.publisher import find_pin
from ddtrace_integrations.publisher import function_name
from ddtrace_integrations.publisher import internal_event
from ddtrace_integrations.publisher import quiet_iter
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import shallow_copy
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.publisher import traced_async_iter
from ddtrace_integrations.publisher import traced_function
from ddtrace_integrations.publisher import traced_iter
from ddtrace_integrations.tracing_plugins import EventNameTaken
from ddtrace_integrations.tracing_plugins.base.client import ClientPlugin
from ddtrace_integrations.tracing_plugins.base.consumer import ConsumerPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectionPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseConnectPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabaseFetchPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabasePlugin
from ddtrace_integrations.tracing_plugins.base.database import DbApiPlugin
from ddtrace_integrations.tracing_plugins.base.database import dbapi_settings
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientContext
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientResponseContext
from ddtrace_integrations.tracing_plugins.base.events import InternalContext
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext
from ddtrace_integrations.tracing_plugins.base.events import StorageContext
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext
from ddtrace_integrations.tracing_plugins.base.events import WebSocketConnection
from ddtrace_integrations.tracing_plugins.base.events import WebSocketMessage
from ddtrace_integrations.tracing_plugins.base.http_client import HTTPClientPlugin
from ddtrace_integrations.tracing_plugins.base.inbound import InboundPlugin
from ddtrace_integrations.tracing_plugins.base.internal import InternalPlugin
from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin
from ddtrace_integrations.tracing_plugins.base.producer import ProducerPlugin
from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin
from ddtrace_integrations.tracing_plugins.base.server import ServerPlugin
from ddtrace_integrations.tracing_plugins.base.storage import StoragePlugin
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketClosePlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketReceivePlugin
from ddtrace_integrations.tracing_plugins.base.websocket import WebSocketSendPlugin
from ddtrace_integrations.web import AsgiEvents
from ddtrace_integrations.web import Route
from ddtrace_integrations.web import WsgiEvents
from ddtrace_integrations.web import current_request
from ddtrace_integrations.web import route_matched
from ddtrace_integrations.web import routing

# The event hub's context, as publishers' hooks and plugins receive it (``ctx.get_item(name)``).
ExecutionContext = _ddtrace.ExecutionContext
# ddtrace's settings, read as ddtrace reads its own (environment, then its other configuration sources):
# ``env_flag("DD_ACME_TRACE_SCRIPTS")``, ``env_text("DD_ACME_SERVICE", "acme")``,
# ``env_int("DD_ACME_MAX_LENGTH", 1000)``.
env_flag = _ddtrace.env_flag
env_int = _ddtrace.env_int
env_text = _ddtrace.env_text
# Whether something (ddtrace's own handlers) already listens to the events named ``name``: the registry refuses a
# plugin on such a name (``EventNameTaken``).
event_name_taken = _ddtrace.listened_context
# One entry of ``ddtrace.config.<integration>`` (None when absent), and an HTTP client's ``DD_<NAME>_*`` settings.
integration_setting = _ddtrace.integration_setting
http_client_settings = _ddtrace.http_client_settings

__all__ = [
    "EXECUTE",
    "FETCH",
    "TRANSACTION",
    "Args",
    "AsgiEvents",
    "Build",
    "ClientPlugin",
    "ConsumerPlugin",
    "DatabaseConnectPlugin",
    "DatabaseConnectionPlugin",
    "DatabaseContext",
    "DatabaseFetchPlugin",
    "DatabasePlugin",
    "DbApiPlugin",
    "DbApiPublisher",
    "Done",
    "Driver",
    "Event",
    "EventNameTaken",
    "ExcInfo",
    "ExecutionContext",
    "HTTPClientContext",
    "HTTPClientPlugin",
    "HTTPClientResponseContext",
    "InboundPlugin",
    "Integration",
    "InternalContext",
    "InternalPlugin",
    "KafkaContext",
    "Kwargs",
    "Message",
    "MessagingContext",
    "OutboundPlugin",
    "Parameters",
    "ProducerPlugin",
    "Publisher",
    "Rewrite",
    "Route",
    "RouterPlugin",
    "ServerPlugin",
    "StorageContext",
    "StoragePlugin",
    "TracingPlugin",
    "WebContext",
    "WebResponseContext",
    "WebSocketClosePlugin",
    "WebSocketConnection",
    "WebSocketMessage",
    "WebSocketReceivePlugin",
    "WebSocketSendPlugin",
    "WsgiEvents",
    "acknowledged",
    "argument",
    "class_name",
    "current_request",
    "dbapi_settings",
    "defining",
    "env_flag",
    "env_int",
    "env_text",
    "event_name_taken",
    "find_pin",
    "function_name",
    "headers_rewrite",
    "http_client_settings",
    "integration_setting",
    "internal_event",
    "publisher_for",
    "quiet_iter",
    "replace_argument",
    "route_matched",
    "routing",
    "send_items",
    "shallow_copy",
    "traced",
    "traced_async",
    "traced_async_iter",
    "traced_function",
    "traced_iter",
    "unpatch_dbapi",
    "with_headers",
]
