"""The plugin hierarchy: each class adds one concern to the one above it."""

from ddtrace_integrations.tracing_plugins.base.client import ClientPlugin
from ddtrace_integrations.tracing_plugins.base.consumer import ConsumerPlugin
from ddtrace_integrations.tracing_plugins.base.database import DatabasePlugin
from ddtrace_integrations.tracing_plugins.base.inbound import InboundPlugin
from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin
from ddtrace_integrations.tracing_plugins.base.producer import ProducerPlugin
from ddtrace_integrations.tracing_plugins.base.router import RouterPlugin
from ddtrace_integrations.tracing_plugins.base.server import ServerPlugin
from ddtrace_integrations.tracing_plugins.base.storage import StoragePlugin
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

__all__ = [
    "ClientPlugin",
    "ConsumerPlugin",
    "DatabasePlugin",
    "InboundPlugin",
    "OutboundPlugin",
    "ProducerPlugin",
    "RouterPlugin",
    "ServerPlugin",
    "StoragePlugin",
    "TracingPlugin",
]
