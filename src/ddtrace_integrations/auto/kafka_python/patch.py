"""kafka-python publisher: ``send`` as ``kafka_python.produce`` (ending when the broker acknowledges the
record) and ``poll`` as ``kafka_python.consume``; iterating a consumer polls, so it is traced per batch."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import Tuple

from ddtrace_integrations.messaging import carrier
from ddtrace_integrations.messaging import with_headers
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
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
    key = argument(args, kwargs, 2, "key")
    injected: Dict[str, str] = {}
    msg = KafkaContext(
        "kafka",
        argument(args, kwargs, 0, "topic"),
        "produce",
        partition=argument(args, kwargs, 4, "partition"),
        key=key if isinstance(key, (str, bytes)) else None,
        tombstone=argument(args, kwargs, 1, "value") is None,
        inject_headers=injected.update,
        **_client(producer),
    )
    return {"messaging_context": msg, "injected": injected}


def _with_propagation(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    injected = ctx.get_item("injected")
    if not injected:
        return args, kwargs
    headers = with_headers(argument(args, kwargs, 3, "headers"), injected, as_bytes=True)
    return replace_argument(args, kwargs, 3, "headers", headers)


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
        "kafka_python.produce", _send, pin_source=kafka, rewrite=_with_propagation, done=_sent, deferred_end=True
    )
    publisher.wrap(kafka.KafkaProducer, "send", traced(send))
    publisher.wrap(
        kafka.KafkaConsumer, "poll", traced(Event("kafka_python.consume", _poll, pin_source=kafka, done=_polled))
    )


def unpatch(kafka: ModuleType) -> None:
    publisher.unwrap_all()
