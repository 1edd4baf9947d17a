"""ServerPlugin: the receiving side of a request/response exchange."""

from __future__ import annotations

from ddtrace_integrations.tracing_plugins.base.inbound import InboundPlugin


class ServerPlugin(InboundPlugin):
    kind = "server"
    type = "web"
    measured = True
