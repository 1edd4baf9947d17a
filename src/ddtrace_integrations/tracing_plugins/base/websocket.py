"""WebSocket message plugins: the ``websocket.receive``, ``websocket.send`` and ``websocket.close`` spans of a
connection whose handshake a ``RouterPlugin`` traced, as ddtrace's ASGI middleware makes them.

With ``websocket_messages_separate_traces`` (the default) a message received starts a trace of its own, and
what the application sends while answering it is that trace's; otherwise every message span is the
handshake's child. Either way each links to the handshake span, and a received message (or the peer's
close) takes the handshake's sampling decision when ``asgi_websocket_messages_inherit_sampling`` is on.
"""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import Mapping
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import WebSocketConnection
from ddtrace_integrations.tracing_plugins.base.events import WebSocketMessage
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

MESSAGE = "websocket_message"
SEPARATE_TRACES = "websocket_messages_separate_traces"
INHERIT_SAMPLING = "asgi_websocket_messages_inherit_sampling"


_span = dd.span_of


def _enclosing(ctx: dd.ExecutionContext) -> Optional[dd.Span]:
    """The span of the context ``ctx`` opened in, which ddtrace links a message to: the handshake's; in an
    application mounted in a traced one, the other layer's span of the same message (or handshake); for a
    peer's close, the receive that returned it."""
    return _span(ctx.parent)


class WebSocketPlugin(TracingPlugin):
    type = "websocket"
    service_at_start = True

    def span_attributes(self) -> Dict[str, Any]:
        """Tagged once the message is known (a receive's only when it returns)."""
        return {}

    def tags(self, kind: str) -> Dict[str, Any]:
        return {dd.COMPONENT: self.integration_config.integration_name, dd.SPAN_KIND: kind}

    def separate_traces(self) -> bool:
        return bool(dd.setting(self.integration_config, SEPARATE_TRACES, True))

    def start(
        self, ctx: dd.ExecutionContext, name: str, parent: Optional[dd.Span], inherit_service: bool = False
    ) -> Optional[dd.Span]:
        """The message's span under ``parent`` (None: a trace of its own), named after the connection's path,
        with the handshake's service; nothing when the handshake is untraced."""
        data: WebSocketMessage = dd.context_items(ctx)[MESSAGE]
        handshake = _span(data.connection.handshake)
        if handshake is None:
            return None
        service = None if inherit_service else handshake.service
        resource = f"websocket {data.connection.path}"
        return self.start_span(
            ctx, name, resource=resource, service=service, child_of=parent, inherit_service=inherit_service
        )

    def answering(self, connection: WebSocketConnection) -> Optional[dd.Span]:
        """A message sent belongs to the trace of the last message received, when messages have their own."""
        handshake = _span(connection.handshake)
        if self.separate_traces():
            return _span(connection.state.get("received")) or handshake
        return handshake

    def link(
        self, span: dd.Span, target: dd.Span, connection: WebSocketConnection, incoming: bool, executed: bool
    ) -> None:
        """Link to ``target``; when it continues a caller's trace, as a span pointer numbering the connection's
        messages each way (``C``: from the client, ``S``: from the server), as ddtrace does."""
        attributes: Dict[str, Any] = dict(dd.LINK_EXECUTED if executed else dd.LINK_RESUMING)
        if dd.setting(self.integration_config, "distributed_tracing", True) and dd.has_remote_parent(target):
            key = "pointers_in" if incoming else "pointers_out"
            counter = connection.state[key] = connection.state.get(key, 0) + 1
            ids = f"{target.trace_id:032x}{target.span_id:016x}{counter:08x}"
            attributes.update(dd.POINTER_UP if incoming else dd.POINTER_DOWN)
            attributes.update(
                {
                    dd.SPAN_LINK_KIND: dd.POINTER_KIND,
                    "ptr.kind": "websocket",
                    "ptr.hash": ("C" if incoming else "S") + ids,
                }
            )
        span.link_span(target.context, attributes)

    def carry_over(self, span: dd.Span, source: dd.Span, sampling: bool) -> None:
        if sampling and dd.setting(self.integration_config, INHERIT_SAMPLING, True):
            dd.inherit_sampling(span, source)
        dd.copy_trace_level_tags(span, source)


def _tag_message(span: dd.Span, message: Mapping[str, Any]) -> bool:
    """Type and size of a text message (ddtrace tags no other); False when the text is not text, where
    ddtrace's handler stops."""
    if "text" in message:
        dd.set_attributes(span, {"websocket.message.type": "text"})
        try:
            dd.set_attributes(span, {"websocket.message.length": len(message["text"].encode())})
        except (AttributeError, UnicodeError):
            return False
    return True


def _tag_close(span: dd.Span, message: Mapping[str, Any]) -> bool:
    """The close code and reason; False when the code is no tag value, where ddtrace's handler stops."""
    code, reason = message.get("code"), message.get("reason")
    if code is not None:
        if not isinstance(code, (int, float, str)):
            return False
        dd.set_attributes(span, {"websocket.close.code": code})
    if reason:
        span.set_tag("websocket.close.reason", reason)
    return True


def _tag_client(span: dd.Span, client: Any) -> bool:
    """The client's address, as ``out.host`` too; False when the scope names no client (ddtrace then tags
    nothing more)."""
    try:
        if len(client):
            dd.set_attributes(span, {dd.TARGET_HOST: client[0], "network.client.ip": client[0]})
        return True
    except (TypeError, LookupError):
        return False


class WebSocketReceivePlugin(WebSocketPlugin):
    """A receive: from the call until it returns; a message received is tagged and linked to the handshake."""

    operation = "websocket.receive"

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        data: WebSocketMessage = dd.context_items(ctx)[MESSAGE]
        parent = None if self.separate_traces() else _span(data.connection.handshake)
        self.start(ctx, "websocket.receive", parent)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        data: WebSocketMessage = dd.context_items(ctx)[MESSAGE]
        message = data.message
        if exc_info[1] is None and isinstance(message, Mapping) and message.get("type") == "websocket.receive":
            dd.set_attributes(span, self.tags("consumer"))
            dd.set_attributes(span, {"websocket.duration.style": "blocking"})
            if _tag_message(span, message):
                dd.set_attributes(span, {"websocket.message.frames": 1})
                target = _enclosing(ctx)
                if target is not None:
                    self.link(span, target, data.connection, incoming=True, executed=True)
                    self.carry_over(span, target, sampling=True)
        if exc_info[1] is not None and not isinstance(exc_info[1], Exception):
            span.finish()  # a cancelled receive (the server's doing) is no error, as ddtrace records only Exception
            return
        super().finish_span(ctx, span, exc_info)


class WebSocketSendPlugin(WebSocketPlugin):
    """A message the application sends: a moment, before it goes."""

    operation = "websocket.send"

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        data: WebSocketMessage = dd.context_items(ctx)[MESSAGE]
        connection = data.connection
        span = self.start(ctx, "websocket.send", self.answering(connection))
        if span is None or data.message is None:
            return
        dd.set_attributes(span, self.tags("producer"))
        if _tag_client(span, connection.client) and _tag_message(span, data.message):
            dd.set_attributes(span, {"websocket.message.frames": 1})
            target = _enclosing(ctx)
            if target is not None:
                self.link(span, target, connection, incoming=False, executed=False)


class WebSocketClosePlugin(WebSocketPlugin):
    """The close the application sends, or the peer's (a disconnect a receive returned)."""

    operation = "websocket.close"

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        data: WebSocketMessage = dd.context_items(ctx)[MESSAGE]
        connection, message = data.connection, data.message
        handshake = _span(connection.handshake)
        if handshake is None or message is None:
            return
        target = _enclosing(ctx)
        if message.get("type") == "websocket.disconnect":
            span = self.start(ctx, "websocket.close", None if self.separate_traces() else handshake)
            if span is None:
                return
            dd.set_attributes(span, self.tags("consumer"))
            if _tag_close(span, message) and target is not None:
                self.link(span, target, connection, incoming=True, executed=True)
                self.carry_over(span, target, sampling=True)
            return
        span = self.start(ctx, "websocket.close", self.answering(connection), inherit_service=True)
        if span is None:
            return
        dd.set_attributes(span, self.tags("producer"))
        tagged = _tag_client(span, connection.client) and _tag_message(span, message) and _tag_close(span, message)
        if tagged and target is not None:
            self.link(span, target, connection, incoming=False, executed=False)
            self.carry_over(span, target, sampling=False)
