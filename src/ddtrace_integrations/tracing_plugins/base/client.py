"""ClientPlugin: the caller side of a request/response exchange."""

from __future__ import annotations

from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin


class ClientPlugin(OutboundPlugin):
    kind = "client"
    type = "web"
