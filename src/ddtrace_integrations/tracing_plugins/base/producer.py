"""ProducerPlugin: sending a message; injects trace context into the message headers."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Dict
from typing import List
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext
from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin


def destination_tags(msg: MessagingContext) -> Dict[str, Any]:
    """Where a message goes or came from."""
    tags: Dict[str, Any] = {"messaging.system": msg.messaging_system}
    if msg.destination:
        tags["messaging.destination.name"] = msg.destination
    return tags


class ProducerPlugin(OutboundPlugin):
    kind = "producer"
    type = "worker"
    measured = True
    data_streams: ClassVar[bool] = False  # checkpoints through ddtrace's DSM processor when it is enabled

    def __init__(self) -> None:
        super().__init__()
        self._names: Dict[str, str] = {}  # by messaging system: the schema is fixed when ddtrace starts

    def operation_name(self, msg: MessagingContext) -> str:
        system = msg.messaging_system
        name = self._names.get(system)
        if name is None:
            direction = dd.SpanDirection.OUTBOUND
            name = self._names[system] = dd.schematize_messaging_operation(
                f"{system}.produce", provider=system, direction=direction
            )
        return name

    def resource(self, msg: MessagingContext) -> Optional[str]:
        return msg.destination

    def message_attributes(self, msg: MessagingContext) -> Dict[str, Any]:
        """Where the message goes and what the client tells of it (text and numbers, set as they are, in one
        call, as ddtrace's integrations set theirs). The publisher's ``tags`` follow, set as set_tag sets them."""
        return destination_tags(msg)

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        msg: MessagingContext = dd.context_items(ctx)["messaging_context"]
        span = self.start_span(ctx, self.operation_name(msg), resource=self.resource(msg))
        if span is None:
            return
        dd.set_attributes(span, self.message_attributes(msg))
        self.add_host(span, msg.host, msg.port)
        if msg.tags:
            dd.set_tags(span, msg.tags)
        headers: Dict[str, str] = {}
        if msg.inject_headers is not None and self.propagation_enabled():
            dd.HTTPPropagator.inject(span.context, headers)
        processor = dd.data_streams() if self.data_streams else None
        if processor is not None:  # the pathway header travels even when trace propagation is off
            for message in msg.messages:
                size = dd.payload_size(message.value, message.key, message.carrier())
                headers.update(dd.checkpoint_sent(processor, self.edge_tags(msg, message), size, span))
        if headers and msg.inject_headers is not None:
            msg.inject_headers(headers)

    def edge_tags(self, msg: MessagingContext, message: Message) -> List[str]:
        """What names this hop of the message's pathway in Data Streams Monitoring."""
        return ["direction:out", f"topic:{message.destination}", f"type:{msg.messaging_system}"]

    def propagation_enabled(self) -> bool:
        return bool(dd.setting(self.integration_config, "distributed_tracing_enabled", True))

    def on_return(self, ctx: dd.ExecutionContext) -> None:
        """The send returned before the broker answered: what runs next is not part of this span."""
        span: Optional[dd.Span] = ctx.span
        if span is not None and dd.tracer.current_span() is span:
            dd.tracer.context_provider.activate(dd.parent_of(span))  # what was active when it started

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        msg: MessagingContext = dd.context_items(ctx)["messaging_context"]
        if msg.message_id:
            dd.set_attribute(span, "messaging.message.id", msg.message_id)
        if isinstance(msg.partition, int) and msg.partition >= 0:  # a negative one is "not chosen yet"
            span.set_metric("messaging.kafka.partition", msg.partition)
        super().finish_span(ctx, span, exc_info)
