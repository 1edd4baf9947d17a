"""Kafka: one producer/consumer pair for every client; confluent-kafka's spans are ddtrace's ``kafka``."""

import time
from functools import partial
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.consumer import ConsumerPlugin
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.producer import ProducerPlugin
from ddtrace_integrations.tracing_plugins.base.producer import destination_tags
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin


def kafka_settings(**extra: Any) -> Dict[str, Any]:
    """Shared by every Kafka client, as ddtrace's ``DD_KAFKA_PROPAGATION_ENABLED`` is."""
    return {
        "_default_service": dd.schematize_service_name("kafka"),
        "distributed_tracing_enabled": dd.env_flag("DD_KAFKA_PROPAGATION_ENABLED"),
        "consume_as_child": dd.env_flag("DD_KAFKA_CONSUME_AS_CHILD"),
        **extra,
    }


def _identify(msg: KafkaContext) -> None:
    if isinstance(msg.partition, int) and isinstance(msg.offset, int) and msg.offset >= 0:
        msg.message_id = f"{msg.destination}/{msg.partition}/{msg.offset}"  # a record's identity in Kafka


def acknowledged_tags(msg: KafkaContext) -> Dict[str, Any]:
    """The tags a broker's acknowledgement adds to a send's span (the others were set when it started)."""
    _identify(msg)
    tags: Dict[str, Any] = {"kafka.message_offset": msg.offset}
    if msg.partition is not None:
        tags["kafka.partition"] = msg.partition
    return tags


def kafka_tags(msg: KafkaContext, tags: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """ddtrace's Kafka tags of what the context knows (an unknown value is no tag), added to ``tags``."""
    _identify(msg)
    if tags is None:
        tags = {}
    if msg.destination is not None:
        tags["kafka.topic"] = msg.destination
    if msg.bootstrap_servers is not None:
        tags["messaging.kafka.bootstrap.servers"] = msg.bootstrap_servers
    if msg.cluster_id:
        tags["kafka.cluster_id"] = msg.cluster_id
    if msg.group_id is not None:
        tags["kafka.group_id"] = msg.group_id
    if msg.key is not None:
        tags["kafka.message_key"] = msg.key.decode("utf-8", "replace") if isinstance(msg.key, bytes) else msg.key
    if msg.tombstone is not None:
        tags["kafka.tombstone"] = str(msg.tombstone)
    if msg.received is not None:
        tags["kafka.received_message"] = str(msg.received)
    if msg.partition is not None:
        tags["kafka.partition"] = msg.partition
    if msg.offset is not None:
        tags["kafka.message_offset"] = msg.offset
    return tags


def kafka_attributes(plugin: Any, msg: Any) -> Dict[str, Any]:
    """Where a Kafka message goes or came from, and ddtrace's Kafka tags."""
    return kafka_tags(msg, destination_tags(msg))


def kafka_edge_tags(tags: List[str], msg: KafkaContext) -> List[str]:
    group = [] if msg.group_id is None else [f"group:{msg.group_id}"]
    return [*tags, *group, *([f"kafka_cluster_id:{msg.cluster_id}"] if msg.cluster_id else [])]


def track_commits(msg: KafkaContext, next_offset: int = 0) -> None:
    """Tells Data Streams how far the group has read (a committed offset is the next one to read)."""
    processor = dd.data_streams()
    if processor is None:
        return
    now, cluster_id = time.time(), msg.cluster_id or ""
    for m in msg.messages:
        offset = m.offset + next_offset if isinstance(m.offset, int) else -1
        processor.track_kafka_commit(msg.group_id, m.destination, m.partition, offset, now, cluster_id=cluster_id)


class KafkaProducePlugin(ProducerPlugin):
    package = "kafka"
    operation = "produce"
    peer_service_precursors = ("messaging.kafka.bootstrap.servers",)
    config_defaults = kafka_settings(trace_empty_poll_enabled=dd.env_flag("DD_KAFKA_EMPTY_POLL_ENABLED", True))
    data_streams = True

    message_attributes = kafka_attributes

    def resource(self, msg: Any) -> None:
        return None  # ddtrace names Kafka spans' resource after the operation

    def edge_tags(self, msg: Any, message: Message) -> List[str]:
        return kafka_edge_tags(super().edge_tags(msg, message), msg)

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        super().on_start(ctx)
        if dd.data_streams() is not None and ctx.span is not None:
            msg: KafkaContext = dd.context_items(ctx)["messaging_context"]
            msg.on_acknowledged = partial(self.acknowledged, msg)

    def acknowledged(self, msg: KafkaContext) -> None:
        """The broker's acknowledged offsets show Data Streams how far the topic's partitions have grown."""
        processor = dd.data_streams()
        if processor is not None and isinstance(msg.offset, int):
            processor.track_kafka_produce(msg.destination, msg.partition, msg.offset, time.time(), msg.cluster_id or "")

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        msg: KafkaContext = dd.context_items(ctx)["messaging_context"]
        if msg.offset is not None:  # what the broker's acknowledgement told
            dd.set_attributes(span, acknowledged_tags(msg))
        super().finish_span(ctx, span, exc_info)


class KafkaConsumePlugin(ConsumerPlugin):
    package = "kafka"
    operation = "consume"
    config_defaults = KafkaProducePlugin.config_defaults
    data_streams = True
    resource = KafkaProducePlugin.resource
    message_attributes = kafka_attributes

    def edge_tags(self, msg: Any, message: Message) -> List[str]:
        return kafka_edge_tags(super().edge_tags(msg, message), msg)

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        msg: KafkaContext = dd.context_items(ctx)["messaging_context"]
        if msg.received is False and not dd.setting(self.integration_config, "trace_empty_poll_enabled", True):
            return
        super().on_finish(ctx, exc_info)
        if msg.auto_commit:  # what is read counts as committed, as ddtrace's DSM reports it
            track_commits(msg, next_offset=1)


class KafkaCommitPlugin(TracingPlugin):
    """No span: a commit only tells Data Streams Monitoring how far the group has read."""

    package = "kafka"
    operation = "commit"
    config_defaults = KafkaProducePlugin.config_defaults

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        if exc_info[1] is None:
            track_commits(dd.context_items(ctx)["messaging_context"])
