"""InboundPlugin: work that arrives from outside; continues the caller's trace, then restores ours."""

from __future__ import annotations

from typing import Any
from typing import Mapping
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

PARENT_STORE = "parent_store"
_NOTHING = object()


class InboundPlugin(TracingPlugin):
    def distributed_tracing_enabled(self) -> bool:
        config = self.integration_config
        for key in ("distributed_tracing_enabled", "distributed_tracing"):
            value = dd.setting(config, key)
            if value is not None:
                return bool(value)
        return True

    def extract(self, headers: Optional[Mapping[str, str]]) -> Optional[Any]:
        """The remote context in ``headers`` (styles as configured), or None."""
        if not headers or not self.distributed_tracing_enabled():
            return None
        context = dd.HTTPPropagator.extract(dict(headers))
        return context if dd.is_remote_parent(context) else None

    def caller(self, headers: Optional[Mapping[str, str]]) -> Optional[Any]:
        """The caller's context a request continues (``extract``), unless a span of its trace already runs here: a
        test client calling the application in-process, or an application nested in a traced one, sends what
        continues the active span, which stays the parent, as ddtrace keeps it (a context of the active trace, or
        one with baggage only, is not activated over it)."""
        remote = self.extract(headers)
        if remote is not None:
            active = dd.tracer.current_trace_context()
            if active is not None and (not remote.trace_id or remote.trace_id == active.trace_id):
                return None
        return remote

    def start_inbound_span(
        self, ctx: dd.ExecutionContext, name: str, headers: Optional[Mapping[str, str]], **options: Any
    ) -> Optional[dd.Span]:
        """Start the span as a child of the remote caller (``caller``), remembering what was active before."""
        remote = self.caller(headers)
        if remote is not None:
            ctx.set_item(PARENT_STORE, dd.tracer.context_provider.active())
            options["child_of"] = remote
        return self.start_span(ctx, name, **options)

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        super().on_finish(ctx, exc_info)
        previous = dd.context_items(ctx).get(PARENT_STORE, _NOTHING)
        if previous is not _NOTHING:
            dd.tracer.context_provider.activate(previous)
