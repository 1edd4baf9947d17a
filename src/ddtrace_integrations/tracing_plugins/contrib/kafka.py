"""Kafka: one producer/consumer pair for every client; confluent-kafka's spans are ddtrace's ``kafka``."""

from typing import Any
from typing import Dict

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.consumer import ConsumerPlugin
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.producer import ProducerPlugin
from ddtrace_integrations.tracing_plugins.base.tracing import SPAN


def kafka_settings(**extra: Any) -> Dict[str, Any]:
    """Shared by every Kafka client, as ddtrace's ``DD_KAFKA_PROPAGATION_ENABLED`` is."""
    return {
        "_default_service": dd.schematize_service_name("kafka"),
        "distributed_tracing_enabled": dd.env_flag("DD_KAFKA_PROPAGATION_ENABLED"),
        "consume_as_child": dd.env_flag("DD_KAFKA_CONSUME_AS_CHILD"),
        **extra,
    }


def kafka_tags(msg: KafkaContext) -> Dict[str, Any]:
    if isinstance(msg.partition, int) and isinstance(msg.offset, int) and msg.offset >= 0:
        msg.message_id = f"{msg.destination}/{msg.partition}/{msg.offset}"  # a record's identity in Kafka
    tags = {
        "kafka.topic": msg.destination,
        "messaging.kafka.bootstrap.servers": msg.bootstrap_servers,
        "kafka.cluster_id": msg.cluster_id or None,
        "kafka.group_id": msg.group_id,
        "kafka.message_key": msg.key.decode("utf-8", "replace") if isinstance(msg.key, bytes) else msg.key,
        "kafka.tombstone": None if msg.tombstone is None else str(msg.tombstone),
        "kafka.received_message": None if msg.received is None else str(msg.received),
        "kafka.partition": msg.partition,
        "kafka.message_offset": msg.offset,
    }
    return {name: value for name, value in tags.items() if value is not None}


class KafkaProducePlugin(ProducerPlugin):
    package = "kafka"
    operation = "produce"
    peer_service_precursors = ("messaging.kafka.bootstrap.servers",)
    config_defaults = kafka_settings(trace_empty_poll_enabled=dd.env_flag("DD_KAFKA_EMPTY_POLL_ENABLED", True))

    def resource(self, msg: Any) -> None:
        return None  # ddtrace names Kafka spans' resource after the operation

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        msg: KafkaContext = ctx.get_item("messaging_context")
        msg.tags = {**kafka_tags(msg), **msg.tags}
        super().on_start(ctx)

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        span = ctx.get_item(SPAN)
        if span is not None:  # what the broker's acknowledgement told (partition, offset)
            span.set_tags(kafka_tags(ctx.get_item("messaging_context")))
        super().on_finish(ctx, exc_info)


class KafkaConsumePlugin(ConsumerPlugin):
    package = "kafka"
    operation = "consume"
    config_defaults = KafkaProducePlugin.config_defaults
    resource = KafkaProducePlugin.resource

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        msg: KafkaContext = ctx.get_item("messaging_context")
        if msg.received is False and not self.integration_config.get("trace_empty_poll_enabled", True):
            return
        msg.tags = {**kafka_tags(msg), **msg.tags}
        super().on_finish(ctx, exc_info)
