"""Publisher helpers shared by the message-queue clients: sends, acknowledgements, headers written as copies."""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import Mapping
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Rewrite
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.tracing_plugins.base.events import KafkaContext
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext

log = dd.get_logger(__name__)


def with_headers(headers: Any, added: Mapping[str, str], *, as_bytes: bool) -> Any:
    """A new header collection: the caller's (mapping, pairs or None) followed by ``added``. The caller's
    object is never modified; pairs stay pairs, so repeated names keep their order."""
    extra = [(name, value.encode("utf-8") if as_bytes else value) for name, value in added.items()]
    if isinstance(headers, Mapping):
        return {**headers, **dict(extra)}
    return [*(headers or ()), *extra]


def headers_rewrite(position: int, *, as_bytes: bool) -> Rewrite:
    """A send's ``rewrite``: its headers argument (at ``position`` or ``headers=``) replaced by a copy
    carrying what the plugins injected (the ``injected`` item of ``send_items``)."""

    def rewrite(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
        injected = ctx.get_item("injected")
        if not injected:
            return args, kwargs
        headers = with_headers(argument(args, kwargs, position, "headers"), injected, as_bytes=as_bytes)
        return replace_argument(args, kwargs, position, "headers", headers)

    return rewrite


def send_items(
    args: Args,
    kwargs: Kwargs,
    *,
    key_at: int,
    value_at: int,
    partition_at: int,
    headers_at: int,
    partition: Any = None,
    **client: Any,
) -> Dict[str, Any]:
    """The context items of a Kafka send: a ``KafkaContext`` and the dict the plugins inject into."""
    topic, key, value = (
        argument(args, kwargs, 0, "topic"),
        argument(args, kwargs, key_at, "key"),
        argument(args, kwargs, value_at, "value"),
    )
    injected: Dict[str, str] = {}
    msg = KafkaContext(
        "kafka",
        topic,
        "produce",
        partition=argument(args, kwargs, partition_at, "partition", partition),
        key=key if isinstance(key, (str, bytes)) else None,
        tombstone=value is None,
        inject_headers=injected.update,
        **client,
    )
    headers = argument(args, kwargs, headers_at, "headers")
    msg.messages.append(Message(topic, msg.partition, key=key, value=value, headers=headers))
    return {"messaging_context": msg, "injected": injected}


def acknowledged(msg: MessagingContext, partition: Any, offset: Any) -> None:
    """Records where the broker put a sent message, and tells the plugin that asked to know."""
    msg.partition, msg.offset = partition, offset
    if msg.on_acknowledged is not None:
        try:
            msg.on_acknowledged()
        except Exception:
            log.debug("%s: acknowledgement not recorded", msg.messaging_system, exc_info=True)
