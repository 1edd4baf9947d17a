"""kafka-python publisher: ``send`` as ``kafka_python.produce`` (ending when the broker acknowledges the
record) and ``poll`` as ``kafka_python.consume``; iterating a consumer polls, so it is traced per batch."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict

from ddtrace_integrations.messaging import carrier
from ddtrace_integrations.messaging import headers_rewrite
from ddtrace_integrations.messaging import send_items
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext

supported_versions = {"kafka": ">=2.0.2"}
publisher = Publisher("kafka_python")


def _client(client: Any) -> Dict[str, Any]:
    cluster = getattr(client, "_cluster", None) or getattr(client, "_metadata", None)  # consumer or producer
    servers = client.config["bootstrap_servers"]
    return {
        "bootstrap_servers": servers if isinstance(servers, str) else ",".join(servers),
        "cluster_id": getattr(cluster, "cluster_id", None),
    }


def _send(producer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    return send_items(args, kwargs, key_at=2, value_at=1, partition_at=4, **_client(producer))


def _sent(ctx: Any, future: Any) -> None:
    """The span ends with the broker's answer (partition and offset), or the failure."""

    def delivered(metadata: Any) -> None:
        msg: KafkaContext = ctx.get_item("messaging_context")
        msg.partition, msg.offset = metadata.partition, metadata.offset
        ctx.dispatch_ended_event()

    def failed(error: BaseException) -> None:
        ctx.dispatch_ended_event(type(error), error, error.__traceback__)

    if future is not None:
        future.add_callback(delivered)
        future.add_errback(failed)


def _poll(consumer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    msg = KafkaContext("kafka", None, "consume", group_id=consumer.config["group_id"], **_client(consumer))
    return {"messaging_context": msg}


def _polled(ctx: Any, batches: Any) -> None:
    """As confluent-kafka's ``consume``: the first message's details, a link to every producer."""
    msg: KafkaContext = ctx.get_item("messaging_context")
    records = [record for batch in (batches or {}).values() for record in batch]
    msg.received, msg.batch = bool(records), len(records) > 1  # poll(max_records=1) receives one message
    msg.headers = [c for c in (carrier(r.headers) for r in records) if c]
    if records:
        first = records[0]
        msg.destination, msg.partition, msg.offset = first.topic, first.partition, first.offset
        msg.key = first.key if isinstance(first.key, (str, bytes)) else None
        msg.tombstone = first.value is None


def patch(kafka: ModuleType) -> None:
    publisher.pin(kafka)
    send = Event(
        "kafka_python.produce",
        _send,
        pin_source=kafka,
        rewrite=headers_rewrite(3, as_bytes=True),
        done=_sent,
        deferred_end=True,
    )
    publisher.wrap(kafka.KafkaProducer, "send", traced(send))
    publisher.wrap(
        kafka.KafkaConsumer, "poll", traced(Event("kafka_python.consume", _poll, pin_source=kafka, done=_polled))
    )


def unpatch(kafka: ModuleType) -> None:
    publisher.unwrap_all()
