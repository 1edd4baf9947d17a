"""InternalPlugin: one plugin kind for every span a framework makes inside a request (hooks, views, templates).

The publisher names the span in an ``InternalContext``, so a framework needs one such plugin, not a class
per span name. It may update the context's resource and tags while the span runs (e.g. once a route matched).
"""

from __future__ import annotations

from typing import ClassVar

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import InternalContext
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

INTERNAL = "internal_context"
_NO_EXC: ExcInfo = (None, None, None)


class InternalPlugin(TracingPlugin):
    operation: ClassVar[str] = "internal"
    service_at_start = True

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        internal: InternalContext = dd.context_items(ctx)[INTERNAL]
        span = self.start_span(
            ctx,
            internal.name,
            resource=internal.resource,
            span_type=internal.span_type,
            inherit_service=internal.inherit_service,
            service_source=internal.service_source,
        )
        if span is not None and internal.tags:
            dd.set_tags(span, internal.tags)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        internal: InternalContext = dd.context_items(ctx)[INTERNAL]
        if internal.resource:
            span.resource = internal.resource
        if internal.tags:
            dd.set_tags(span, internal.tags)
        if internal.ignored and isinstance(exc_info[1], internal.ignored):
            exc_info = _NO_EXC
        TracingPlugin.finish_span(self, ctx, span, exc_info)  # named, not super(): see DatabasePlugin.finish_span
