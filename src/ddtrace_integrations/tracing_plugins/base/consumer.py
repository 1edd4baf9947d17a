"""ConsumerPlugin: receiving messages; links (or parents) the span to each producer's context."""

from __future__ import annotations

import time
from typing import Any
from typing import ClassVar
from typing import Dict
from typing import List
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext
from ddtrace_integrations.tracing_plugins.base.inbound import PARENT_STORE
from ddtrace_integrations.tracing_plugins.base.inbound import InboundPlugin
from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin
from ddtrace_integrations.tracing_plugins.base.producer import destination_tags

PARTITION, OFFSET = "messaging.kafka.partition", "messaging.kafka.offset"


class ConsumerPlugin(InboundPlugin):
    """The span is built when the receive call returns (only then are the messages known) and
    back-dated to when the call started, so it covers the blocking wait."""

    kind = "consumer"
    type = "worker"
    measured = True
    direction: ClassVar[Any] = dd.SpanDirection.PROCESSING
    # Integration config key; when true a single message's span is a child of its producer instead of
    # linked to it (a batch's span stays linked to every producer).
    as_child_setting: ClassVar[str] = "consume_as_child"
    # True: the span starts a trace of its own (when not continuing a producer's), not under the caller's.
    own_trace: ClassVar[bool] = False
    data_streams: ClassVar[bool] = False  # checkpoints through ddtrace's DSM processor when it is enabled

    service = OutboundPlugin.service  # consumers of a broker are named like its clients, as in ddtrace

    def __init__(self) -> None:
        super().__init__()
        self._names: Dict[str, str] = {}  # by messaging system: the schema is fixed when ddtrace starts

    def operation_name(self, msg: MessagingContext) -> str:
        system = msg.messaging_system
        name = self._names.get(system)
        if name is None:
            name = self._names[system] = dd.schematize_messaging_operation(
                f"{system}.consume", provider=system, direction=self.direction
            )
        return name

    def resource(self, msg: MessagingContext) -> Optional[str]:
        return msg.destination

    def message_attributes(self, msg: MessagingContext) -> Dict[str, Any]:
        """Where the messages came from and what the client tells of them (text and numbers, set as they are,
        in one call). The publisher's ``tags`` follow, set as set_tag sets them."""
        return destination_tags(msg)

    def edge_tags(self, msg: MessagingContext, message: Message) -> List[str]:
        """What names this hop of the message's pathway in Data Streams Monitoring."""
        return ["direction:in", f"topic:{message.destination}", f"type:{msg.messaging_system}"]

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        dd.context_items(ctx)["messaging_context"].started_ns = time.time_ns()

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        if self.start_received(ctx, dd.context_items(ctx)["messaging_context"]):
            super().on_finish(ctx, exc_info)

    def start_received(self, ctx: dd.ExecutionContext, msg: MessagingContext) -> bool:
        """Start, link, tag and checkpoint the span of what was received (False: no span). A method of its own so
        that what it builds (carriers, the tags) is let go before the span finishes: the tracer's work then is
        when a call's memory peaks."""
        carriers = []
        remotes = []
        for message in msg.messages:  # a loop, not comprehensions: each of those is a call of its own before 3.12
            carrier = message.carrier()
            carriers.append(carrier)
            remote = self.extract(carrier) if carrier else None
            if remote is not None:
                remotes.append(remote)
        active = dd.tracer.context_provider.active()
        if len(remotes) == 1 and not msg.batch and dd.setting(self.integration_config, self.as_child_setting):
            parent = remotes.pop(0)
        else:
            parent = None if self.own_trace else active
        if parent is not active:  # a root span or a producer's child: the caller's span is current again after it
            dd.context_items(ctx)[PARENT_STORE] = active
        span = self.start_span(ctx, self.operation_name(msg), resource=self.resource(msg), child_of=parent)
        if span is None:
            return False
        if msg.started_ns is not None:
            span.start_ns = msg.started_ns
        for remote in remotes:
            dd.link_span(span, remote)
        attributes = self.message_attributes(msg)  # first: a client may work out msg.message_id on the way
        if msg.message_id:
            attributes["messaging.message.id"] = msg.message_id
        metrics = {PARTITION: msg.partition, OFFSET: msg.offset}
        for key, value in metrics.items():
            if type(value) is int:  # set as set_metric sets an int, with the rest in one call
                attributes[key] = value
            elif value is not None:
                span.set_metric(key, value)
        dd.set_attributes(span, attributes)
        if msg.tags:
            dd.set_tags(span, msg.tags)
        processor = dd.data_streams() if self.data_streams else None
        if processor is not None:
            for message, carrier in zip(msg.messages, carriers):
                size = dd.payload_size(message.value, message.key, carrier)
                dd.checkpoint_received(processor, carrier, self.edge_tags(msg, message), size, span)
        return True
