"""OutboundPlugin: host tagging and peer.service for calls that leave the process."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.tracing import SPAN
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

PEER_SERVICE = "peer.service"
PEER_SERVICE_SOURCE = "_dd.peer.service.source"
PEER_SERVICE_REMAPPED_FROM = "_dd.peer.service.remapped_from"


class OutboundPlugin(TracingPlugin):
    # Tags that name the peer better than the host, most specific first (e.g. db.name).
    peer_service_precursors: ClassVar[Tuple[str, ...]] = ()

    def service(self, pin: Any) -> Optional[str]:
        """ddtrace's precedence for external services (pin, DD_<LIB>_SERVICE, default), read as plain dict
        lookups: IntegrationConfig attribute access costs microseconds per span."""
        if pin is not None and pin.service:
            return pin.service
        config = self.integration_config
        for key in ("service", "service_name", "_default_service"):
            value = config.get(key)
            if value is not None:
                return value
        return None

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        span = ctx.get_item(SPAN)
        if span is not None:
            self.set_peer_service(span)
        super().on_finish(ctx, exc_info)

    def add_host(self, span: dd.Span, host: Optional[str], port: Optional[int] = None) -> None:
        if host:
            dd.set_attribute(span, "out.host", host)
            dd.set_attribute(span, "server.address", host)
        if port:
            dd.set_attribute(span, "network.destination.port", port)

    def set_peer_service(self, span: dd.Span) -> None:
        """Same precedence and tags as ddtrace's peer-service processor, which then leaves the span alone.

        With peer-service defaults off only a user-set value can exist, and that processor handles it alike.
        """
        if not dd.peer_service_config.set_defaults_enabled or span.get_tag(PEER_SERVICE_SOURCE):
            return
        value = span.get_tag(PEER_SERVICE)
        source = PEER_SERVICE
        if not value:
            for source in (*self.peer_service_precursors, "net.peer.name", "out.host"):
                value = span.get_tag(source)
                if value:
                    break
            else:
                return
        dd.set_attribute(span, PEER_SERVICE_SOURCE, source)
        remapped = dd.peer_service_config.peer_service_mapping.get(value)
        if remapped:
            dd.set_attribute(span, PEER_SERVICE_REMAPPED_FROM, value)
            value = remapped
        dd.set_attribute(span, PEER_SERVICE, value)
