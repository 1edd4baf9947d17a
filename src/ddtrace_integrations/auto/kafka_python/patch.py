"""kafka-python publisher: ``send`` as ``kafka_python.produce`` (ending when the broker acknowledges the
record), ``poll`` as ``kafka_python.consume`` (iterating a consumer polls, so it is traced per batch), and
``commit``/``commit_async`` as ``kafka_python.commit``."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import Optional

from ddtrace_integrations.messaging import acknowledged
from ddtrace_integrations.messaging import headers_rewrite
from ddtrace_integrations.messaging import send_items
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Parameters
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message

supported_versions = {"kafka": ">=2.0.2"}
publisher = Publisher("kafka_python")


def _client(client: Any) -> Dict[str, Any]:
    cluster = getattr(client, "_cluster", None) or getattr(client, "_metadata", None)  # consumer or producer
    servers = client.config["bootstrap_servers"]
    return {
        "bootstrap_servers": servers if isinstance(servers, str) else ",".join(servers),
        "cluster_id": getattr(cluster, "cluster_id", None),
    }


SEND = Parameters("topic", "value", "key", "headers", "partition", "timestamp_ms")


def _send(producer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    return send_items(SEND.bind(args, kwargs), **_client(producer))


def _sent(ctx: Any, future: Any) -> None:
    """The span ends with the broker's answer (partition and offset), or the failure."""

    def delivered(metadata: Any) -> None:
        acknowledged(ctx.get_item("messaging_context"), metadata.partition, metadata.offset)
        ctx.dispatch_ended_event()

    def failed(error: BaseException) -> None:
        ctx.dispatch_ended_event(type(error), error, error.__traceback__)

    if future is not None:
        future.add_callback(delivered)
        future.add_errback(failed)


def _poll(consumer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    msg = KafkaContext("kafka", None, "consume", group_id=consumer.config["group_id"], **_client(consumer))
    msg.auto_commit = bool(consumer.config["enable_auto_commit"] and consumer.config["group_id"])
    return {"messaging_context": msg}


def _polled(ctx: Any, batches: Any) -> None:
    """As confluent-kafka's ``consume``: the first message's details, a link to every producer."""
    msg: KafkaContext = ctx.get_item("messaging_context")
    records = [record for batch in (batches or {}).values() for record in batch]
    msg.received, msg.batch = bool(records), len(records) > 1  # poll(max_records=1) receives one message
    msg.messages = [Message(r.topic, r.partition, r.offset, r.key, r.value, r.headers) for r in records]
    if records:
        first = records[0]
        msg.destination, msg.partition, msg.offset = first.topic, first.partition, first.offset
        msg.key = first.key if isinstance(first.key, (str, bytes)) else None
        msg.tombstone = first.value is None


def _commit(consumer: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
    """Without offsets, kafka-python commits every consumed position: those are reported."""
    offsets = argument(args, kwargs, 0, "offsets") or consumer._subscription.all_consumed_offsets()
    committed = [Message(tp.topic, tp.partition, meta.offset) for tp, meta in offsets.items()]
    if not committed:
        return None
    msg = KafkaContext(
        "kafka", None, "commit", messages=committed, group_id=consumer.config["group_id"], **_client(consumer)
    )
    return {"messaging_context": msg}


def patch(kafka: ModuleType) -> None:
    publisher.pin(kafka)
    send = Event(
        "kafka_python.produce",
        _send,
        pin_source=kafka,
        rewrite=headers_rewrite(SEND, as_bytes=True),
        done=_sent,
        deferred_end=True,
    )
    publisher.wrap_method(kafka.KafkaProducer, "send", send)
    poll = Event("kafka_python.consume", _poll, pin_source=kafka, done=_polled)
    publisher.wrap_method(kafka.KafkaConsumer, "poll", poll)
    commit = Event("kafka_python.commit", _commit, pin_source=kafka)
    for method in ("commit", "commit_async"):
        publisher.wrap_method(kafka.KafkaConsumer, method, commit)


def unpatch(kafka: ModuleType) -> None:
    publisher.unwrap_all()
