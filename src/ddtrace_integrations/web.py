"""The publisher side of web frameworks, written once: a WSGI exchange as ``{package}.request``.

The request context opens when the application is called and ends when the server closes the response
iterable, so streamed bodies count. Inside it, ``{package}.internal`` contexts cover the application call
and the response body (``<package>.application``, ``<package>.response``), as in ddtrace's WSGI layer.
Frameworks report their matched route through ``route_matched`` while the application runs.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Iterator
from typing import List
from typing import Mapping
from typing import Optional
from typing import Set
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Wrapper
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import internal_event
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.tracing_plugins.base.events import InternalContext
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext
from ddtrace_integrations.tracing_plugins.base.events import WebSocketConnection
from ddtrace_integrations.tracing_plugins.base.events import WebSocketMessage
from ddtrace_integrations.tracing_plugins.base.events import _slots

log = dd.get_logger(__name__)


@dataclass
class Route:
    """What a framework learned when it matched the request."""

    resource: Optional[str] = None
    path: Optional[str] = None  # the route template, e.g. "/users/<int:uid>"
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False, **_slots)  # one per request: no instance dict
class _Exchange:
    request: dd.ExecutionContext
    application: Optional[InternalContext]
    routed: str  # ``context.routed.{package}.request``: plugins name the request span once it is routed
    scope: Any = None  # ASGI: the scope the exchange serves (a mounted application is handed the same dict)
    mounts: Optional[_Mounts] = None  # ASGI: the route parts of the exchanges nested on that scope
    websocket: Optional[WebSocketConnection] = None  # ASGI: the connection, for the applications nested on it


@dataclass
class _Mounts:
    """One ASGI scope's route as its routers and mounts match it, and the exchanges (outermost first) of the
    traced applications nested on it, as ddtrace's ASGI middleware keeps them."""

    exchanges: List[_Exchange] = field(default_factory=list)
    paths: List[str] = field(default_factory=list)
    seen: Set[int] = field(default_factory=set)


def routed_event(event: Event) -> str:
    return f"context.routed.{event.name}"


_exchange: ContextVar[Optional[_Exchange]] = ContextVar("ddtrace_integrations_web_exchange", default=None)


def route_matched(route: Route, current_span_too: bool = False, final: bool = False) -> None:
    """Apply ``route`` to the running request (and, for ddtrace's parity, to the application span).

    ``final`` is False while the request is still being handled (before the hooks and the view): plugins
    hear ``context.routed`` and name the request span at once, so code running inside the request reads the
    route's resource, as under ddtrace.
    """
    exchange = _exchange.get()
    if exchange is None:
        return
    web: WebContext = exchange.request.get_item("web_context")
    if route.resource:
        web.resource = route.resource
    if route.path:
        web.route = route.path
    web.path_params = route.params
    web.tags.update(route.tags)
    if current_span_too and exchange.application is not None:
        app = exchange.application
        app.resource = route.resource or app.resource
        for key, value in route.tags.items():
            app.set_tag(key, value)
    if not final and route.resource and dd.core.has_listeners(exchange.routed):
        dd.core.dispatch(exchange.routed, (exchange.request,))


def route_part(owner: Any, path: str, full: Optional[str] = None) -> None:
    """An ASGI router step (a route or a mount, ``owner``) matched the running request with its ``path``
    template; ``full``: the whole route when the framework knows it. Each traced application nested on the
    scope is named after the route from its own mount on, the outermost one alone tagged with ``http.route``
    (once per step: a framework may handle one route twice)."""
    exchange = _exchange.get()
    mounts = exchange.mounts if exchange is not None else None
    if mounts is None or id(owner) in mounts.seen:
        return
    mounts.seen.add(id(owner))
    if full is None:
        mounts.paths.append(path)
    exchanges, paths = mounts.exchanges, mounts.paths
    if full is not None:
        _name(exchanges[0], full, True)
    elif len(exchanges) == len(paths):
        for i, each in enumerate(exchanges):
            _name(each, "".join(paths[i:]), i == 0)
    elif exchanges and paths:
        _name(exchanges[0], "".join(paths), True)


def _name(exchange: _Exchange, path: str, route: bool) -> None:
    web: WebContext = exchange.request.get_item("web_context")
    web.resource = path if web.websocket else f"{web.method} {path}"  # a handshake has no method
    if route:
        web.route = path
    if dd.core.has_listeners(exchange.routed):
        dd.core.dispatch(exchange.routed, (exchange.request,))


def routing(event: Event, route: Callable[[], Route]) -> Wrapper:
    """Wrapper for a framework step that runs once the request is matched (e.g. Flask's ``dispatch_request``):
    ``route()`` names the running request and the application span, then the step is traced as ``event``.
    Outside a traced request, and with nothing listening to ``event``, it only calls through."""
    step, started, has_listeners = traced(event), event.started, dd.core.has_listeners

    def wrapper(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if _exchange.get() is None:
            if not has_listeners(started):
                return wrapped(*args, **kwargs)
        else:
            try:
                route_matched(route(), current_span_too=True)
            except Exception:
                log.debug("%s: the route could not be read", event.name, exc_info=True)
        return step(wrapped, instance, args, kwargs)

    return wrapper


# Whether an exchange runs here (its object, or None): a native call, the cheap test of a publisher's wrapper.
running_exchange = _exchange.get


def current_request() -> Optional[dd.ExecutionContext]:
    """The request context of the exchange running here, if any (e.g. for a framework under ASGI)."""
    exchange = _exchange.get()
    return exchange.request if exchange is not None else None


def name_current(name: str, tag: str) -> None:
    """Give the running internal span (e.g. a template render) a resource and a tag."""
    internal: Optional[InternalContext] = dd.core.get_item("internal_context")
    if internal is not None:
        internal.resource = name
        internal.set_tag(tag, name)


class WsgiEvents:
    """``traced_app`` wraps a framework's WSGI application callable (e.g. ``Flask.wsgi_app``)."""

    def __init__(
        self,
        package: str,
        *,
        pin_source: Any,
        request: Callable[[Dict[str, Any]], WebContext],
        on_start_response: Callable[[str], None],
    ) -> None:
        self.on_start_response = on_start_response
        self.request = Event(
            f"{package}.request",
            lambda _, args, kwargs: {"web_context": request(argument(args, kwargs, 0, "environ"))},
            pin_source=pin_source,
            deferred_end=True,
        )
        self.application = internal_event(package, f"{package}.application", pin_source=pin_source)
        self.response = internal_event(package, f"{package}.response", pin_source=pin_source)
        self.response.deferred_end = True
        self.routed = routed_event(self.request)

    def traced_app(self, wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if not dd.core.has_listeners(self.request.started):
            return wrapped(*args, **kwargs)
        request = self.request.context(instance, args, kwargs)
        if request is None:
            return wrapped(*args, **kwargs)
        environ, start_response = argument(args, kwargs, 0, "environ"), argument(args, kwargs, 1, "start_response")
        with request:
            application = self.application.context(instance, args, kwargs)
            app = application.get_item("internal_context") if application is not None else None
            token = _exchange.set(_Exchange(request, app, self.routed))
            try:
                with application or nullcontext():
                    result = wrapped(environ, self._start_response(request, start_response))
            except BaseException:
                request.dispatch_ended_event(*sys.exc_info())
                raise
            finally:
                _exchange.reset(token)
        response = self.response.context(instance, args, kwargs)
        if response is not None:
            with response:
                pass
        return _ClosingIterable(result, [c for c in (response, request) if c is not None])

    def _start_response(self, request: dd.ExecutionContext, start_response: Callable) -> Callable:
        def traced_start_response(status: str, headers: List[Any], *exc_info: Any) -> Any:
            try:
                self.on_start_response(status)
                code = int(status.split(" ", 1)[0])
                request.set_item("web_response", WebResponseContext(code, _Headers(headers)))
            except Exception:
                log.debug("the response status could not be read", exc_info=True)
            return start_response(status, headers, *exc_info)

        return traced_start_response


class AsgiEvents:
    """``traced_app(app)`` wraps an ASGI application: ``{package}.request`` for each HTTP exchange, ending once
    the last body message is sent (streamed bodies included) or the application returns.

    ``middleware``: as ddtrace's ASGI middleware (Starlette, FastAPI): an exception out of the application
    answers 500 and, like a response with a server error status, ends the span only with the application
    (so the error is on it); an application mounted in a traced one makes a request span nested in the outer
    one (``WebContext.nested``), and ``route_part`` names them all. ``resolve_route(scope)``: the route
    template (and whether it is a whole route, not a mount's prefix) of a request that ends with no router step
    reported (a middleware answered first, as for a CORS preflight). ``middleware_class()`` is the same
    wrapping as a class a framework's middleware list instantiates with the next application.

    ``websocket``: a websocket connection's handshake is a ``{package}.request`` too (``WebContext.websocket``),
    ending when the application accepts the connection or returns; each receive, each message sent and the
    close sent are ``{package}.websocket.receive`` / ``.send`` / ``.close`` contexts (``WebSocketMessage``).
    """

    def __init__(
        self,
        package: str,
        *,
        pin_source: Any,
        middleware: bool = False,
        resolve_route: Optional[Callable[[Dict[str, Any]], Optional[Tuple[str, bool]]]] = None,
        websocket: bool = False,
    ) -> None:
        self.request = Event(f"{package}.request", _asgi_request, pin_source=pin_source, deferred_end=True)
        self.routed = routed_event(self.request)
        self.middleware = middleware
        self.resolve_route = resolve_route
        self.websocket = _WebSocketEvents(package, pin_source) if websocket else None

    def traced_app(self, app: Any) -> Any:
        return _TracedAsgiApp(app, self)

    def middleware_class(self) -> type:
        events = self

        class TracedAsgiMiddleware(_TracedAsgiApp):
            def __init__(self, app: Any) -> None:
                super().__init__(app, events)

        return TracedAsgiMiddleware


class _WebSocketEvents:
    """The handshake (the request event, built as a handshake: the HTTP one's build is left as it is) and the
    messages."""

    def __init__(self, package: str, pin_source: Any) -> None:
        def build(_: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
            return {"websocket_message": args[0]}

        self.handshake = Event(f"{package}.request", _asgi_handshake, pin_source=pin_source, deferred_end=True)
        self.receive = Event(f"{package}.websocket.receive", build, pin_source=pin_source)
        self.send = Event(f"{package}.websocket.send", build, pin_source=pin_source)
        self.close = Event(f"{package}.websocket.close", build, pin_source=pin_source)


def _join_route(exchange: _Exchange, outer: Optional[_Exchange]) -> None:
    """The exchange takes part in its scope's route: that of ``outer``, the application it is mounted in, if any."""
    mounts = outer.mounts if outer is not None and outer.mounts is not None else _Mounts()
    mounts.exchanges.append(exchange)
    exchange.mounts = mounts


def _leave_route(exchange: _Exchange) -> None:
    if exchange.mounts is not None:
        exchange.mounts.exchanges.remove(exchange)


class _TracedAsgiApp:
    def __init__(self, app: Any, events: AsgiEvents) -> None:
        self._app = app
        self._events = events

    async def __call__(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> Any:
        events = self._events
        if not dd.core.has_listeners(events.request.started) or scope.get("type") != "http":
            if events.websocket is not None and scope.get("type") == "websocket":
                return await self._websocket(scope, receive, send, events.websocket)
            return await self._app(scope, receive, send)
        outer = _exchange.get()
        nested = outer is not None and outer.scope is scope and outer.mounts is not None
        request = events.request.context(self._app, (scope, nested), {})
        if request is None:
            return await self._app(scope, receive, send)
        exchange = _Exchange(request, None, events.routed, scope)
        late = events.middleware  # a server error ends the span with the application, as the error comes

        async def traced_send(message: Dict[str, Any]) -> Any:
            nonlocal late
            try:
                if message.get("type") == "http.response.start":
                    headers = _Headers(
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", ())
                    )
                    status = message.get("status")
                    request.set_item("web_response", WebResponseContext(status, headers))
                    late = events.middleware and dd.server_error_status(status)
            except Exception:
                log.debug("the response status could not be read", exc_info=True)
            try:
                return await send(message)
            finally:
                if message.get("type") == "http.response.body" and not message.get("more_body", False) and not late:
                    self._end(exchange, None, None, None)

        with request:
            if events.middleware:
                _join_route(exchange, outer if nested else None)
            token = _exchange.set(exchange)
            try:
                return await self._app(scope, receive, traced_send)
            except BaseException as e:
                if events.middleware and isinstance(e, Exception):
                    _answered_500(request)
                self._end(exchange, *sys.exc_info())
                raise
            finally:
                _exchange.reset(token)
                _leave_route(exchange)
                self._end(exchange, None, None, None)

    async def _websocket(self, scope: Dict[str, Any], receive: Callable, send: Callable, ws: _WebSocketEvents) -> Any:
        """The handshake, traced as a request until the connection is accepted; the messages as they go."""
        events = self._events
        if not dd.core.has_listeners(events.request.started):
            return await self._app(scope, receive, send)
        outer = _exchange.get()
        nested = outer is not None and outer.scope is scope and outer.mounts is not None
        request = ws.handshake.context(self._app, (scope, nested), {})
        if request is None:
            return await self._app(scope, receive, send)
        connection = WebSocketConnection(request, scope.get("path", ""), scope.get("client"))
        if nested and outer is not None and outer.websocket is not None:
            connection.state = outer.websocket.state
        exchange = _Exchange(request, None, events.routed, scope, websocket=connection)
        state, has_listeners = connection.state, dd.core.has_listeners

        async def traced_receive() -> Any:
            if not has_listeners(ws.receive.started):
                return await receive()
            data = WebSocketMessage(connection)
            ctx = ws.receive.context(None, (data,), {})
            if ctx is None:
                return await receive()
            with ctx:
                message = data.message = await receive()
                kind = message.get("type") if isinstance(message, Mapping) else None
                if kind == "websocket.receive":
                    state["received"] = ctx
                elif kind == "websocket.disconnect":
                    state["received"] = None
                    _publish(ws.close, WebSocketMessage(connection, message))
                return message

        async def traced_send(message: Any) -> Any:
            kind = message.get("type") if isinstance(message, Mapping) else None
            if kind == "websocket.accept":
                self._end(exchange, None, None, None)
            elif kind == "websocket.send":
                _publish(ws.send, WebSocketMessage(connection, message))
            elif kind == "websocket.close":
                _publish(ws.close, WebSocketMessage(connection, message))
                state["received"] = None
            return await send(message)

        with request:
            if events.middleware:
                _join_route(exchange, outer if nested else None)
            token = _exchange.set(exchange)
            try:
                return await self._app(scope, traced_receive, traced_send)
            except BaseException as e:
                if isinstance(e, Exception):
                    _answered_500(request)
                self._end(exchange, *sys.exc_info())
                raise
            finally:
                _exchange.reset(token)
                _leave_route(exchange)
                self._end(exchange, None, None, None)

    def _end(self, exchange: _Exchange, *exc_info: Any) -> None:
        """End the request (once), named by ``resolve_route`` first when no router step named an HTTP one."""
        request = exchange.request
        if request._end_event_dispatched:
            return
        resolve, mounts = self._events.resolve_route, exchange.mounts
        if resolve is not None and mounts is not None and not mounts.paths and exchange.scope.get("type") == "http":
            try:
                found = resolve(exchange.scope)
                if found is not None:
                    web: WebContext = request.get_item("web_context")
                    web.resource = f"{web.method} {found[0]}"
                    web.route = found[0] if found[1] else web.route
            except Exception:
                log.debug("the route could not be resolved", exc_info=True)
        request.dispatch_ended_event(*exc_info)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def _publish(event: Event, message: WebSocketMessage) -> None:
    """A websocket message's span, over before the message goes (as ddtrace's)."""
    if not dd.core.has_listeners(event.started):
        return
    ctx = event.context(None, (message,), {})
    if ctx is not None:
        with ctx:
            pass


def _answered_500(request: dd.ExecutionContext) -> None:
    """The application raised: its server answers 500 (whatever it had started to send)."""
    response: Optional[WebResponseContext] = request.get_item("web_response")
    request.set_item("web_response", WebResponseContext(500, response.headers if response is not None else {}))


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _peer_ip(client: Any) -> Optional[str]:
    """The ASGI client's address when it is an IP address, as ddtrace's ASGI middleware passes it on (Starlette's test
    client names itself "testclient")."""
    if not client:
        return None
    address = client[0]
    return address if dd.valid_ip(address) else None


def _asgi_request(_: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    scope: Dict[str, Any] = args[0]
    nested: bool = args[1] if len(args) > 1 else False
    headers = _Headers(_decoded(scope.get("headers", ())))
    scheme, path = scope.get("scheme", "http"), scope.get("path", "")
    host = headers.get("host")
    server = scope.get("server")
    if not host and server and len(server) == 2:
        default = _DEFAULT_PORTS.get(scheme)
        host = server[0] + (f":{server[1]}" if server[1] is not None and server[1] != default else "")
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    asgi = scope.get("asgi") or {}
    tags = {"http.version": scope.get("http_version"), "asgi.version": asgi.get("version")}
    tags["asgi.spec_version"] = asgi.get("spec_version")
    web = WebContext(
        scope.get("method", "GET"),
        url,
        path,
        headers=headers,
        query=query or None,
        peer_ip=_peer_ip(scope.get("client")),
        tags={k: v for k, v in tags.items() if v},
        nested=nested,
    )
    return {"web_context": web}


def _asgi_handshake(instance: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    """A websocket connection's request: no method (ddtrace's resources say "websocket"), upgraded."""
    items = _asgi_request(instance, args, kwargs)
    web: WebContext = items["web_context"]
    web.method, web.websocket = "websocket", True
    web.tags["http.upgraded"] = "websocket"
    return items


def _decoded(pairs: Iterable[Any]) -> Iterator[Tuple[str, str]]:
    return ((k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs)


class _Headers(Dict[str, str]):
    """WSGI response headers (a list of pairs) as the lower-cased mapping header tags read."""

    def __init__(self, pairs: Iterable[Any]) -> None:
        super().__init__((str(k).lower(), str(v)) for k, v in pairs)


class _ClosingIterable:
    """The application's response iterable: the spans end when it is exhausted or closed (as WSGI servers
    must close it), whichever comes first; an error while iterating belongs to the response span."""

    def __init__(self, wrapped: Iterable, contexts: List[dd.ExecutionContext]) -> None:
        self._wrapped = wrapped
        self._contexts = contexts
        self._iterator: Optional[Iterator] = None

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        try:
            if self._iterator is None:
                self._iterator = iter(self._wrapped)
            return next(self._iterator)
        except StopIteration:
            self._end(None, None, None)
            raise
        except BaseException:
            self._end(*sys.exc_info())
            raise

    def close(self) -> None:
        try:
            close = getattr(self._wrapped, "close", None)
            if close is not None:
                close()
        finally:
            self._end(None, None, None)

    def _end(self, *exc_info: Any) -> None:
        for ctx in self._contexts:
            ctx.dispatch_ended_event(*exc_info)
            exc_info = (None, None, None)
        self._contexts = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # no len() or other protocol the wrapped body may have: servers test for them
            raise AttributeError(name)
        return getattr(self._wrapped, name)
