"""OutboundPlugin: host tagging and peer.service for calls that leave the process."""

from __future__ import annotations

import functools
from typing import Any
from typing import ClassVar
from typing import Dict
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.tracing import _BASE_SERVICES
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin
from ddtrace_integrations.tracing_plugins.base.tracing import _configs

PEER_SERVICE = "peer.service"
PEER_SERVICE_SOURCE = "_dd.peer.service.source"
PEER_SERVICE_REMAPPED_FROM = "_dd.peer.service.remapped_from"


@functools.lru_cache(maxsize=256)
def host_tags(host: Optional[str], port: Optional[int]) -> Dict[str, Any]:
    """The tags naming a peer's address, built once per address (a client calls the same few): never modify."""
    tags: Dict[str, Any] = {}
    if host:
        tags["out.host"] = host
        tags["server.address"] = host
    if port:
        tags["network.destination.port"] = port
    return tags


class OutboundPlugin(TracingPlugin):
    # Tags that name the peer better than the host, most specific first (e.g. db.name).
    peer_service_precursors: ClassVar[Tuple[str, ...]] = ()

    def service(self, pin: Any) -> Optional[str]:
        """ddtrace's precedence for external services (pin, DD_<LIB>_SERVICE, default), read as plain dict
        lookups: IntegrationConfig attribute access costs microseconds per span."""
        service = dd.pin_config(pin).get("service_name") if pin is not None and self.pin_service else None
        if service:
            return service
        config = _configs.get(self.package)
        if config is None:
            config = self.integration_config
        service = dd.setting(config, "service")
        if service is None:
            service = dd.setting(config, "service_name")
        return dd.setting(config, "_default_service") if service is None else service

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        defaults = dd.peer_service_defaults()
        if defaults is None:
            defaults = dd.peer_service_config.set_defaults_enabled
        if defaults:
            self.set_peer_service(span)
        TracingPlugin.finish_span(self, ctx, span, exc_info)  # named, not super(): see DatabasePlugin.finish_span

    def add_host(self, span: dd.Span, host: Optional[str], port: Optional[int] = None) -> None:
        if host or port:
            dd.set_attributes(span, host_tags(host, port))

    def set_peer_service(self, span: dd.Span) -> None:
        """Same precedence and tags as ddtrace's peer-service processor, which then leaves the span alone.

        With peer-service defaults off (``finish_span`` does not call it then) only a user-set value can exist, and
        that processor handles it alike.
        """
        if span.get_tag(PEER_SERVICE_SOURCE):
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


_BASE_SERVICES.append(OutboundPlugin.service)
