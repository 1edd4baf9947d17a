"""ConsumerPlugin: receiving messages; links (or parents) the span to each producer's context."""

from __future__ import annotations

import time
from typing import ClassVar

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext
from ddtrace_integrations.tracing_plugins.base.inbound import InboundPlugin
from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin
from ddtrace_integrations.tracing_plugins.base.tracing import SPAN

START_NS = "start_ns"


class ConsumerPlugin(InboundPlugin):
    """The span is built when the receive call returns (only then are the messages known) and
    back-dated to when the call started, so it covers the blocking wait."""

    kind = "consumer"
    type = "worker"
    measured = True
    # Integration config key; when true the span is a child of the (single) producer context instead.
    as_child_setting: ClassVar[str] = "consume_as_child"

    service = OutboundPlugin.service  # consumers of a broker are named like its clients, as in ddtrace

    def operation_name(self, msg: MessagingContext) -> str:
        system = msg.messaging_system
        return dd.schematize_messaging_operation(
            f"{system}.consume", provider=system, direction=dd.SpanDirection.PROCESSING
        )

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        ctx.set_item(START_NS, time.time_ns())

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        msg: MessagingContext = ctx.get_item("messaging_context")
        remotes = [r for r in (self.extract(h) for h in msg.headers) if r is not None]
        as_child = bool(self.integration_config.get(self.as_child_setting)) and len(remotes) == 1
        options = {"child_of": remotes[0]} if as_child else {}
        span = self.start_span(ctx, self.operation_name(msg), resource=msg.destination, **options)
        if span is None:
            return
        span.start_ns = ctx.get_item(START_NS)
        if not as_child:
            for remote in remotes:
                span.link_span(remote)
        dd.set_attribute(span, "messaging.system", msg.messaging_system)
        if msg.destination:
            dd.set_attribute(span, "messaging.destination.name", msg.destination)
        if msg.message_id:
            dd.set_attribute(span, "messaging.message.id", msg.message_id)
        if msg.partition is not None:
            span.set_metric("messaging.kafka.partition", msg.partition)
        if msg.offset is not None:
            span.set_metric("messaging.kafka.offset", msg.offset)
        if msg.tags:
            span.set_tags(msg.tags)
        ctx.set_item(SPAN, span)
        super().on_finish(ctx, exc_info)
