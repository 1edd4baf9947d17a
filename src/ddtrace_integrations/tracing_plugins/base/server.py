"""ServerPlugin: the receiving side of a request/response exchange, and the proxy the request came through."""

from __future__ import annotations

from typing import Any
from typing import Mapping
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.inbound import PARENT_STORE
from ddtrace_integrations.tracing_plugins.base.inbound import InboundPlugin

PROXY_SPAN = "inferred_proxy_span"


class ServerPlugin(InboundPlugin):
    kind = "server"
    type = "web"
    measured = True

    def start_inbound_span(
        self, ctx: dd.ExecutionContext, name: str, headers: Optional[Mapping[str, str]], **options: Any
    ) -> Optional[dd.Span]:
        """Behind an API gateway that announces itself in the headers (``x-dd-proxy``), and with ddtrace's
        ``DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED``, the request span is a child of the gateway's span."""
        proxy = None
        if headers is not None and dd.inferred_proxy_services_enabled():  # not bool(headers): WSGI's count them
            proxy = self._start_proxy_span(ctx, headers)
        if proxy is None:
            return super().start_inbound_span(ctx, name, headers, **options)
        return self.start_span(ctx, name, child_of=proxy, **options)

    def _start_proxy_span(self, ctx: dd.ExecutionContext, headers: Mapping[str, str]) -> Optional[dd.Span]:
        """The gateway's span continues the caller's trace; the request span will be its only child."""
        if headers.get(dd.INFERRED_PROXY_HEADER) not in dd.INFERRED_PROXIES:
            return None
        pin = dd.context_items(ctx).get("pin")
        if pin is None or not pin.enabled():
            return None
        previous = dd.tracer.context_provider.active()
        remote = self.caller(headers)
        parent = remote if remote is not None else dd.tracer.current_trace_context()
        proxy = dd.start_inferred_proxy_span(headers, parent)
        if proxy is not None:
            ctx.set_item(PARENT_STORE, previous)
            ctx.set_item(PROXY_SPAN, proxy)
        return proxy

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        super().on_finish(ctx, exc_info)
        proxy = dd.context_items(ctx).get(PROXY_SPAN)
        if proxy is not None:
            dd.finish_inferred_proxy_span(proxy, ctx.span)

    def end_spans(self, ctx: dd.ExecutionContext) -> None:
        super().end_spans(ctx)
        proxy = dd.context_items(ctx).get(PROXY_SPAN)
        if proxy is not None:
            proxy.finish()  # after the request span, as always
