"""confluent-kafka publisher: ``produce``, ``poll``/``consume`` and ``commit`` as ``kafka.{produce,consume,commit}``.

``Producer`` and ``Consumer`` are C types whose methods cannot be wrapped in place, so (as ddtrace does)
the module's names point at subclasses while patched: clients created from a class object taken before
patching stay untraced. The Serializing/Deserializing clients are Python classes, wrapped in place.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any
from typing import Dict
from typing import Mapping
from typing import Optional
from typing import Tuple

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
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message

supported_versions = {"confluent_kafka": ">=1.9.2"}
publisher = Publisher("kafka")
_originals: Dict[str, Any] = {}
_cluster_ids: Dict[str, str] = {}  # bootstrap servers -> cluster id, learnt by producers (see _cluster_id)
_RETRY_AFTER = 300.0


def _remember_config(wrapped: Any, client: Any, args: Args, kwargs: Kwargs) -> None:
    wrapped(*args, **kwargs)
    conf = args[0] if args and isinstance(args[0], Mapping) else kwargs
    client._ddi_servers = conf.get("bootstrap.servers", conf.get("metadata.broker.list"))
    client._ddi_group = conf.get("group.id", "")
    client._ddi_deserializing = isinstance(client, _originals["module"].DeserializingConsumer)
    client._ddi_auto_commit = str(conf.get("enable.auto.commit", True)).lower() == "true"


def _cluster_id(client: Any, topic: Any, producer: bool) -> str:
    """Asked of producers only (a consumer's metadata calls can race its rebalances inside librdkafka);
    consumers reuse what a producer of the same servers learnt. A failure is not retried for 5 minutes."""
    known = getattr(client, "_ddi_cluster_id", "") or _cluster_ids.get(getattr(client, "_ddi_servers", None) or "")
    if known or not producer or time.monotonic() - getattr(client, "_ddi_cluster_failed", -_RETRY_AFTER) < _RETRY_AFTER:
        return known or ""
    try:
        client._ddi_cluster_id = client.list_topics(topic=topic, timeout=1.0).cluster_id or ""
    except Exception:
        client._ddi_cluster_failed = time.monotonic()
        return ""
    servers = getattr(client, "_ddi_servers", None)
    if client._ddi_cluster_id and servers:
        _cluster_ids[servers] = client._ddi_cluster_id
    return client._ddi_cluster_id


def _reporting(msg: KafkaContext, callback: Any) -> Any:
    def delivered(err: Any, message: Any) -> None:
        if err is None:
            acknowledged(msg, message.partition(), message.offset())
        if callback is not None:
            callback(err, message)

    return delivered


# ``produce``'s parameters: a plain producer's (a C method; ``callback`` is the old name of ``on_delivery``) and the
# SerializingProducer's
PRODUCE = Parameters("topic", "value", "key", "partition", "on_delivery", "callback", "timestamp", "headers")
SERIALIZING_PRODUCE = Parameters("topic", "key", "value", "partition", "on_delivery", "timestamp", "headers")


def _produce_event(parameters: Parameters, serializing: bool) -> Event:
    def build(producer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
        call = parameters.bind(args, kwargs)
        topic = call.get("topic") or ""
        items = send_items(
            call,
            partition=-1,  # librdkafka's "unassigned"
            bootstrap_servers=getattr(producer, "_ddi_servers", None),
            cluster_id=_cluster_id(producer, topic, producer=True),
        )
        msg = items["messaging_context"]
        msg.destination = topic
        if msg.key is None and not serializing:
            msg.key = ""  # as ddtrace tags a plain producer's missing key
        return items

    with_headers = headers_rewrite(parameters, as_bytes=False)

    def rewrite(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
        """Headers into a copy; and the delivery report, when a plugin asked for the acknowledgement, goes
        through a callback that records it before calling the caller's."""
        args, kwargs = with_headers(ctx, args, kwargs)
        msg: KafkaContext = ctx.get_item("messaging_context")
        if msg.on_acknowledged is None:
            return args, kwargs
        call = parameters.bind(args, kwargs)
        name = "callback" if not serializing and call.get("callback") is not None else "on_delivery"
        callback = call.get(name)
        if not (callback is None or callable(callback)):
            return args, kwargs
        return parameters.replace(args, kwargs, name, _reporting(msg, callback))

    return Event("kafka.produce", build, pin_source=_originals["module"], rewrite=rewrite)


def _consume(consumer: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    """By position, as ``send_items`` builds a send's; ``messages`` is set when the call returns."""
    # messaging_system, destination, operation, host, port, message_id, partition, offset, messages, batch,
    # inject_headers, on_acknowledged, tags, injected, started_ns, bootstrap_servers, cluster_id, group_id
    msg = KafkaContext(
        "kafka", None, "consume", None, None, None, None, None, [], False, None, None, {}, None, None, None,
        None, getattr(consumer, "_ddi_group", ""),
    )  # fmt: skip
    return {"messaging_context": msg}


def _received(ctx: Any, result: Any) -> None:
    items = dd.context_items(ctx)
    msg: KafkaContext = items["messaging_context"]
    consumer = items["instance"]
    messages = result if isinstance(result, list) else [] if result is None else [result]
    msg.received, msg.batch = bool(messages), isinstance(result, list)
    msg.auto_commit = getattr(consumer, "_ddi_auto_commit", False)
    msg.messages = [  # by position: topic, partition, offset, key, value, headers
        Message(str(m.topic()), m.partition(), m.offset(), m.key(), m.value(), m.headers())
        for m in messages
        if m.error() is None
    ]
    if not messages:
        return
    first = messages[0]
    key, msg.destination = first.key(), str(first.topic())
    deserialized = getattr(consumer, "_ddi_deserializing", False)
    msg.key = key if isinstance(key, (str, bytes)) else None if deserialized else ""  # ddtrace's choices
    msg.partition, msg.offset = first.partition(), first.offset()
    msg.cluster_id = _cluster_id(consumer, msg.destination, producer=False)
    try:
        msg.tombstone = len(first) == 0
    except TypeError:  # some versions' messages have no length
        msg.tombstone = False


def _commit(consumer: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
    """What a commit names: a message (its offset + 1, the next to read) or offsets; with neither,
    librdkafka commits its own positions, which are not reported (as in ddtrace)."""
    message = argument(args, kwargs, 0, "message")
    if message is not None:
        committed = [Message(str(message.topic()), message.partition(), message.offset() + 1)]
    else:
        committed = [Message(tp.topic, tp.partition, tp.offset) for tp in argument(args, kwargs, 1, "offsets") or ()]
    if not committed:
        return None
    cluster_id = _cluster_id(consumer, committed[0].destination, producer=False)
    msg = KafkaContext("kafka", None, "commit", messages=committed, group_id=consumer._ddi_group, cluster_id=cluster_id)
    return {"messaging_context": msg}


def patch(kafka: ModuleType) -> None:
    publisher.pin(kafka)
    _originals.update(module=kafka, Producer=kafka.Producer, Consumer=kafka.Consumer)
    producer = type("Producer", (kafka.Producer,), {"__module__": kafka.__name__})
    consumer = type("Consumer", (kafka.Consumer,), {"__module__": kafka.__name__})
    consume = Event("kafka.consume", _consume, pin_source=kafka, done=_received)
    for cls in (producer, consumer, kafka.SerializingProducer, kafka.DeserializingConsumer):
        publisher.wrap(cls, "__init__", _remember_config)
    publisher.wrap_method(producer, "produce", _produce_event(PRODUCE, serializing=False))
    publisher.wrap_method(kafka.SerializingProducer, "produce", _produce_event(SERIALIZING_PRODUCE, serializing=True))
    for cls, method in ((consumer, "poll"), (consumer, "consume"), (kafka.DeserializingConsumer, "poll")):
        publisher.wrap_method(cls, method, consume)
    commit = Event("kafka.commit", _commit, pin_source=kafka)
    for cls in (consumer, kafka.DeserializingConsumer):
        publisher.wrap_method(cls, "commit", commit)
    setattr(kafka, "Producer", producer)  # noqa: B010
    setattr(kafka, "Consumer", consumer)  # noqa: B010


def unpatch(kafka: ModuleType) -> None:
    publisher.unwrap_all()
    setattr(kafka, "Producer", _originals["Producer"])  # noqa: B010
    setattr(kafka, "Consumer", _originals["Consumer"])  # noqa: B010
