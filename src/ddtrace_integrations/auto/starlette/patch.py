"""Starlette publisher: ``starlette.request`` for each HTTP exchange of a ``Starlette`` application (a
middleware first in its list, inside the server error middleware, as ddtrace's), named as its routes and mounts
match the request; ``starlette.background_task`` for each task queued on ``BackgroundTasks``.

The route steps and the background tasks are shared with FastAPI's publisher (``routes``, ``background``).
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any
from typing import Callable
from typing import Dict
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import web
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import is_wrapped
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.tracing_plugins.base.events import InternalContext

log = dd.get_logger(__name__)
supported_versions = {"starlette": ">=0.14.0"}
publisher = Publisher("starlette")


def patch(starlette: ModuleType) -> None:
    import starlette.applications
    import starlette.background
    import starlette.routing
    from starlette.middleware import Middleware

    publisher.pin(starlette)
    asgi = web.AsgiEvents(
        "starlette", pin_source=starlette, middleware=True, resolve_route=resolve_route, websocket=True
    )
    middleware: Any = asgi.middleware_class()

    def init(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        """The application's own middleware list is copied, ours first in the copy."""
        given = argument(args, kwargs, 2, "middleware") or ()
        args, kwargs = replace_argument(args, kwargs, 2, "middleware", [Middleware(middleware), *given])
        return wrapped(*args, **kwargs)

    publisher.wrap(starlette.applications.Starlette, "__init__", init)
    routes(publisher, starlette.routing.Route, starlette.routing.Mount)
    background(publisher, starlette.background.BackgroundTasks, starlette)


def unpatch(starlette: ModuleType) -> None:
    publisher.unwrap_all()


def routes(publisher: Publisher, *classes: type) -> None:
    """Each route and mount names the request as it matches it; a route's endpoint is registered as an
    entrypoint (code origin) when the route is made. A class whose ``handle`` is already traced (FastAPI's
    publisher and Starlette's share ``Mount``) is left as it is."""
    for cls in classes:
        if "handle" in vars(cls) and not is_wrapped(vars(cls)["handle"]):
            publisher.wrap(cls, "handle", _handle)
        init = vars(cls).get("__init__")
        if init is not None and "endpoint" in inspect.signature(init).parameters and not is_wrapped(init):
            publisher.wrap(cls, "__init__", _route_init)


def _handle(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
    if web.running_exchange() is not None:
        try:
            scope = argument(args, kwargs, 0, "scope")
            web.route_part(instance, instance.path, _fastapi_route(scope))
        except Exception:
            log.debug("the route could not be read", exc_info=True)
    return wrapped(*args, **kwargs)


def resolve_route(scope: Dict[str, Any]) -> Optional[Tuple[str, bool]]:
    """The template of the route (or mount) of the scope's application matching the request, with the mounts'
    prefixes (``True``: a route), as ddtrace resolves a request no router step saw."""
    return _template(getattr(scope.get("app"), "routes", None), scope, "")


def _template(routes: Any, scope: Dict[str, Any], prefix: str) -> Optional[Tuple[str, bool]]:
    from starlette.routing import Match

    partial = None
    for route in routes or ():
        found = _route_template(route, scope, prefix)
        if found is None:
            continue
        if found[0] == Match.FULL:
            return found[1]
        if found[0] == Match.PARTIAL and partial is None:
            partial = found[1]
    return partial


def _route_template(route: Any, scope: Dict[str, Any], prefix: str) -> Optional[Tuple[Any, Tuple[str, bool]]]:
    from starlette import routing

    host = isinstance(route, getattr(routing, "Host", ()))
    if not isinstance(route, (routing.Route, routing.Mount)) and not host:
        return None
    match, child_scope = route.matches(scope)
    if match == routing.Match.NONE:
        return None
    if isinstance(route, routing.Route):
        return match, (prefix + route.path, True)
    children = getattr(route.app, "routes", None)
    if children:
        inner = _template(children, {**scope, **child_scope}, prefix if host else prefix + route.path)
        if inner is not None:
            return match, inner
    return (match, (prefix + route.path, False)) if isinstance(route, routing.Mount) else None


def _fastapi_route(scope: Dict[str, Any]) -> Optional[str]:
    """FastAPI (>= 0.137) keeps the whole route of the request in its scope."""
    fastapi = scope.get("fastapi")
    context = fastapi.get("effective_route_context") if isinstance(fastapi, dict) else None
    return getattr(context, "path_format", None) if context is not None else None


def _route_init(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
    endpoint = argument(args, kwargs, 1, "endpoint")
    if endpoint is not None:
        dd.register_entrypoint(inspect.unwrap(endpoint))
    return wrapped(*args, **kwargs)


def background(publisher: Publisher, cls: type, module: ModuleType) -> None:
    """``{module}.background_task`` around each task queued while tracing is on: a trace of its own, linked to
    the span that queued it. The task is queued as a coroutine function running the original (sync ones in
    a worker thread, as Starlette runs them), as ddtrace does."""
    if "add_task" not in vars(cls) or is_wrapped(vars(cls)["add_task"]):
        return
    name = f"{module.__name__}.background_task"

    def build(task: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
        resource = getattr(task, "__name__", "<unknown>")
        return {"internal_context": InternalContext(name, resource), "queued_by": args[0]}

    event = Event(name, build, pin_source=module)
    has_listeners = dd.core.has_listeners

    def add_task(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if not has_listeners(event.started) or not dd.tracing_enabled():
            return wrapped(*args, **kwargs)
        task = argument(args, kwargs, 0, "func")
        queued_by = dd.tracer.current_span()
        from starlette.concurrency import run_in_threadpool

        async def traced_task(*task_args: Any, **task_kwargs: Any) -> Any:
            ctx = event.context(task, (queued_by,), {})
            if ctx is None:
                return await _run(task, run_in_threadpool, task_args, task_kwargs)
            with ctx:
                return await _run(task, run_in_threadpool, task_args, task_kwargs)

        args, kwargs = replace_argument(args, kwargs, 0, "func", traced_task)
        return wrapped(*args, **kwargs)

    publisher.wrap(cls, "add_task", add_task)


async def _run(task: Callable, run_in_threadpool: Callable, args: Args, kwargs: Kwargs) -> Any:
    if inspect.iscoroutinefunction(task):
        return await task(*args, **kwargs)
    return await run_in_threadpool(task, *args, **kwargs)
