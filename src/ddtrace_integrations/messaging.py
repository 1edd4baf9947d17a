"""Publisher helpers shared by the message-queue clients: sends, acknowledgements, headers written as copies."""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import Mapping
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Parameters
from ddtrace_integrations.publisher import Rewrite
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext

log = dd.get_logger(__name__)


def with_headers(headers: Any, added: Mapping[str, str], *, as_bytes: bool) -> Any:
    """A new header collection of the caller's kind (dict, list or tuple of pairs, or None: a list) followed by
    ``added``. The caller's object is never modified; pairs stay pairs, so repeated names keep their order. Any
    other kind is left as it is, without the trace context: a copy of another type could be accepted where the
    caller's object is refused (confluent-kafka takes lists, not tuples), or consume a one-shot iterable."""
    extra = [(name, value.encode("utf-8") if as_bytes else value) for name, value in added.items()]
    if headers is None or isinstance(headers, list):
        return [*(headers or ()), *extra]
    if isinstance(headers, tuple):
        return (*headers, *extra)
    if isinstance(headers, dict):
        return {**headers, **dict(extra)}
    log.debug("message headers of type %s left without the trace context", type(headers).__name__)
    return headers


def headers_rewrite(parameters: Parameters, *, as_bytes: bool) -> Rewrite:
    """A send's ``rewrite``: its ``headers`` argument replaced by a copy carrying what the plugins injected (the
    ``injected`` field of the context ``send_items`` made)."""

    def rewrite(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
        injected = dd.context_items(ctx)["messaging_context"].injected
        if not injected:
            return args, kwargs
        headers = with_headers(parameters.bind(args, kwargs).get("headers"), injected, as_bytes=as_bytes)
        return parameters.replace(args, kwargs, "headers", headers)

    return rewrite


def send_items(
    call: Dict[str, Any],
    *,
    partition: Any = None,
    bootstrap_servers: Optional[str] = None,
    cluster_id: Optional[str] = None,
) -> Dict[str, Any]:
    """The context items of a Kafka send, from its arguments by name (``Parameters.bind``: ``topic``, ``key``,
    ``value``, ``partition``, ``headers``) and the client's fields: a ``KafkaContext`` holding the dict the plugins
    inject into. The contexts are built by position: a dataclass's keyword arguments cost a name match each."""
    topic, key, value = call.get("topic"), call.get("key"), call.get("value")
    partition = call.get("partition", partition)
    injected: Dict[str, str] = {}
    message = Message(topic, partition, None, key, value, call.get("headers"))
    # messaging_system, destination, operation, host, port, message_id, partition, offset, messages, batch,
    # inject_headers, on_acknowledged, tags, injected, started_ns, bootstrap_servers, cluster_id, group_id, key,
    # tombstone
    msg = KafkaContext(
        "kafka", topic, "produce", None, None, None, partition, None, [message], False, injected.update, None, {},
        injected, None, bootstrap_servers, cluster_id, None, key if isinstance(key, (str, bytes)) else None,
        value is None,
    )  # fmt: skip
    return {"messaging_context": msg}


def acknowledged(msg: MessagingContext, partition: Any, offset: Any) -> None:
    """Records where the broker put a sent message, and tells the plugin that asked to know."""
    msg.partition, msg.offset = partition, offset
    if msg.on_acknowledged is not None:
        try:
            msg.on_acknowledged()
        except Exception:
            log.debug("%s: acknowledgement not recorded", msg.messaging_system, exc_info=True)
