"""Publisher for the fake library: one Event per operation, in each call shape the helpers support."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import Tuple

from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import internal_event
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.publisher import traced_async_iter
from ddtrace_integrations.publisher import traced_iter
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext
from ddtrace_integrations.tracing_plugins.base.events import Message
from ddtrace_integrations.tracing_plugins.base.events import MessagingContext
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext

supported_versions = {"fakelib": ">=1.0"}
publisher = Publisher("fakelib")


def _db(conn: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    query = argument(args, kwargs, 0, "query")
    db = DatabaseContext("fakedb", query=query, host=conn.host, port=conn.port, user=conn.user, database=conn.database)
    db.dbm_injectable = True
    return {"db_context": db}


def _rows(conn: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    return {"db_context": DatabaseContext("fakedb", query="rows", host=conn.host, port=conn.port)}


def _commented(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    commented = ctx.get_item("db_context").commented_query
    return (args, kwargs) if commented is None else replace_argument(args, kwargs, 0, "query", commented)


def _rowcount(ctx: Any, result: Any) -> None:
    ctx.get_item("db_context").rowcount = result


def _send(broker: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    topic = argument(args, kwargs, 0, "topic")
    msg = MessagingContext("fakemq", topic, "produce", host=broker.host, port=broker.port)
    msg.messages = [
        Message(topic, value=argument(args, kwargs, 1, "value"), headers=argument(args, kwargs, 2, "headers"))
    ]
    msg.tags["messaging.fakemq.brokers"] = f"{broker.host}:{broker.port}"
    injected: Dict[str, str] = {}
    msg.inject_headers, msg.injected = injected.update, injected
    return {"messaging_context": msg}


def _with_headers(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    injected = ctx.get_item("messaging_context").injected
    if not injected:
        return args, kwargs
    headers = {**(argument(args, kwargs, 2, "headers") or {}), **injected}  # a copy: never the caller's dict
    return replace_argument(args, kwargs, 2, "headers", headers)


def _acknowledged(ctx: Any, delivery: Any) -> None:
    def settled(error: Any) -> None:
        if error is None:
            ctx.get_item("messaging_context").partition = 0
            ctx.dispatch_ended_event()
        else:
            ctx.dispatch_ended_event(type(error), error, error.__traceback__)

    if delivery is not None:
        delivery.on_done(settled)


def _receive(broker: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    msg = MessagingContext("fakemq", argument(args, kwargs, 0, "topic"), "consume")
    msg.batch = argument(args, kwargs, 1, "max_messages", 1) > 1
    return {"messaging_context": msg}


def _received(ctx: Any, messages: Any) -> None:
    msg = ctx.get_item("messaging_context")
    msg.messages = [Message(m.topic, offset=m.offset, value=m.value, headers=m.headers) for m in messages or ()]
    if messages and len(messages) == 1:
        msg.offset = messages[0].offset


def _request(_: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    import fakelib

    method, path, headers = args
    route = fakelib.ROUTES.get(path)
    web = WebContext(method, f"http://fake.local{path}", path, route=route, headers=headers)
    if route:
        web.path_params = {"uid": int(path.rsplit("/", 1)[1])}
        web.tags["fakelib.view_args.uid"] = web.path_params["uid"]
    return {"web_context": web}


def _responded(ctx: Any, result: Any) -> None:
    if result is not None:
        ctx.set_item("web_response", WebResponseContext(result[0], result[1]))


def patch(fakelib: ModuleType) -> None:
    publisher.pin(fakelib)
    conn = fakelib.Connection
    db = Event("fakelib.execute", _db, pin_source=fakelib, rewrite=_commented, done=_rowcount)
    publisher.wrap_method(conn, "execute", db)
    publisher.wrap_method(conn, "aexecute", db)
    publisher.wrap(conn, "rows", traced_iter(Event("fakelib.rows", _rows, pin_source=fakelib, done=_rowcount)))
    publisher.wrap(conn, "arows", traced_async_iter(Event("fakelib.rows", _rows, pin_source=fakelib, done=_rowcount)))
    send = Event("fakelib.send", _send, pin_source=fakelib, rewrite=_with_headers)
    publisher.wrap_method(fakelib.Broker, "send", send)
    later = Event("fakelib.send", _send, pin_source=fakelib, done=_acknowledged, deferred_end=True)
    publisher.wrap_method(fakelib.Broker, "send_later", later)
    receive = Event("fakelib.receive", _receive, pin_source=fakelib, done=_received)
    publisher.wrap_method(fakelib.Broker, "receive", receive)
    publisher.wrap(fakelib, "handle", traced(Event("fakelib.request", _request, pin_source=fakelib, done=_responded)))
    handled = (LookupError,)
    render = internal_event("fakelib", "fakelib.render", pin_source=fakelib, span_type="template", ignored=handled)
    publisher.wrap(fakelib, "render", traced(render))


def unpatch(fakelib: ModuleType) -> None:
    publisher.unwrap_all()
