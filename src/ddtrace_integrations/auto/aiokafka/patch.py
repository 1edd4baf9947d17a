"""aiokafka publisher: ``send`` as ``aiokafka.produce`` (ending when the broker acknowledges the record),
``getone``/``getmany`` as ``aiokafka.consume``, a group's ``commit_offsets`` as ``aiokafka.commit``. The
cluster id is asked once, when a client starts."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any
from typing import Dict
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.messaging import acknowledged
from ddtrace_integrations.messaging import headers_rewrite
from ddtrace_integrations.messaging import send_items
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Parameters
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message

log = dd.get_logger(__name__)
supported_versions = {"aiokafka": ">=0.9.0"}
publisher = Publisher("aiokafka")
PRODUCE, CONSUME, COMMIT = "aiokafka.produce", "aiokafka.consume", "aiokafka.commit"


async def _learn_cluster_id(wrapped: Any, client: Any, args: Args, kwargs: Kwargs) -> Any:
    result = await wrapped(*args, **kwargs)
    kafka = getattr(client, "client", None) or client._client
    if dd.core.has_listeners(f"context.started.{PRODUCE}") or dd.core.has_listeners(f"context.started.{CONSUME}"):
        try:
            from aiokafka.protocol import metadata

            node = kafka.get_random_node()
            if isinstance(metadata.MetadataRequest, type):  # 0.13+: the client picks the version
                request = metadata.MetadataRequest(topics=[], allow_auto_topic_creation=False)
            else:
                request = metadata.MetadataRequest_v5([], False)
            kafka._ddi_cluster_id = (await kafka.send(node, request)).cluster_id or ""
        except Exception:
            log.debug("aiokafka: the cluster id is unknown", exc_info=True)
    return result


def _client(kafka: Any) -> Dict[str, Any]:
    return {"bootstrap_servers": kafka._bootstrap_servers, "cluster_id": getattr(kafka, "_ddi_cluster_id", None)}


SEND = Parameters("topic", "value", "key", "partition", "timestamp_ms", "headers")


def _send(producer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    kafka = producer.client
    servers, cluster_id = kafka._bootstrap_servers, getattr(kafka, "_ddi_cluster_id", None)
    return send_items(SEND.bind(args, kwargs), bootstrap_servers=servers, cluster_id=cluster_id)


def _sent(ctx: Any, delivery: Any) -> None:
    """The span ends with the broker's answer (partition and offset), or the failure."""

    def delivered(future: asyncio.Future[Any]) -> None:
        error = asyncio.CancelledError() if future.cancelled() else future.exception()
        if error is not None:
            ctx.dispatch_ended_event(type(error), error, error.__traceback__)
            return
        record = future.result()
        acknowledged(dd.context_items(ctx)["messaging_context"], record.partition, record.offset)
        ctx.dispatch_ended_event()

    if delivery is not None:
        delivery.add_done_callback(delivered)


def _consume(consumer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    msg = KafkaContext("kafka", None, "consume", group_id=consumer._group_id, **_client(consumer._client))
    msg.auto_commit = consumer._enable_auto_commit
    return {"messaging_context": msg}


def _message(record: Any) -> Message:
    return Message(record.topic, record.partition, record.offset, record.key, record.value, record.headers)


def _got_one(ctx: Any, record: Any) -> None:
    msg: KafkaContext = ctx.get_item("messaging_context")
    msg.received = record is not None
    if record is not None:
        msg.destination, msg.partition, msg.offset = record.topic, record.partition, record.offset
        msg.key = record.key if isinstance(record.key, (str, bytes)) else None
        msg.tombstone = record.value is None
        msg.messages = [_message(record)]


def _got_many(ctx: Any, batches: Any) -> None:
    """As ddtrace: every topic and its partitions, no single message's details."""
    msg: KafkaContext = ctx.get_item("messaging_context")
    msg.received, msg.batch = batches is not None, True
    partitions: Dict[str, Any] = {}
    for tp, records in (batches or {}).items():
        partitions.setdefault(tp.topic, []).append(tp.partition)
        msg.messages += [_message(r) for r in records]
    if partitions:
        msg.destination = next(iter(partitions))
        msg.tags["kafka.topic"] = ",".join(partitions)
        msg.tags.update({f"kafka.partitions.{t}": ",".join(map(str, sorted(p))) for t, p in partitions.items()})


def _commit(coordinator: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
    """Offsets map a partition to an offset, or to ``(offset, metadata)``."""
    offsets = argument(args, kwargs, 1, "offsets") or {}
    committed = [
        Message(tp.topic, tp.partition, offset if isinstance(offset, int) else offset[0])
        for tp, offset in offsets.items()
    ]
    if not committed:
        return None
    kafka = coordinator._client
    msg = KafkaContext("kafka", None, "commit", messages=committed, group_id=coordinator.group_id, **_client(kafka))
    return {"messaging_context": msg}


def patch(aiokafka: ModuleType) -> None:
    from aiokafka.consumer import group_coordinator

    publisher.pin(aiokafka)
    send = Event(
        PRODUCE, _send, pin_source=aiokafka, rewrite=headers_rewrite(SEND, as_bytes=True), done=_sent, deferred_end=True
    )
    publisher.wrap(aiokafka.AIOKafkaProducer, "send", traced_async(send))
    publisher.wrap(
        aiokafka.AIOKafkaConsumer, "getone", traced_async(Event(CONSUME, _consume, pin_source=aiokafka, done=_got_one))
    )
    publisher.wrap(
        aiokafka.AIOKafkaConsumer,
        "getmany",
        traced_async(Event(CONSUME, _consume, pin_source=aiokafka, done=_got_many)),
    )
    for cls in (aiokafka.AIOKafkaProducer, aiokafka.AIOKafkaConsumer):
        publisher.wrap(cls, "start", _learn_cluster_id)
    commit = Event(COMMIT, _commit, pin_source=aiokafka)
    publisher.wrap(group_coordinator.GroupCoordinator, "commit_offsets", traced_async(commit))


def unpatch(aiokafka: ModuleType) -> None:
    publisher.unwrap_all()
