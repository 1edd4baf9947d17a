"""FastAPI publisher: ``fastapi.request`` for each HTTP exchange of a ``FastAPI`` application (around its whole
middleware stack, as ddtrace's), named as its routes and mounts match the request (Starlette's route steps,
shared with that publisher); ``fastapi.internal`` for ``serialize_response``; ``fastapi.background_task`` for
each task queued on FastAPI's ``BackgroundTasks``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Callable

from ddtrace_integrations import web
from ddtrace_integrations.auto.starlette.patch import background
from ddtrace_integrations.auto.starlette.patch import resolve_route
from ddtrace_integrations.auto.starlette.patch import routes
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import internal_event
from ddtrace_integrations.publisher import traced_async

supported_versions = {"fastapi": ">=0.64.0"}
publisher = Publisher("fastapi")


def patch(fastapi: ModuleType) -> None:
    import fastapi.applications
    import fastapi.routing
    import starlette.routing

    publisher.pin(fastapi)
    asgi = web.AsgiEvents("fastapi", pin_source=fastapi, middleware=True, resolve_route=resolve_route, websocket=True)

    def build_middleware_stack(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        return asgi.traced_app(wrapped(*args, **kwargs))

    publisher.wrap(fastapi.applications.FastAPI, "build_middleware_stack", build_middleware_stack)
    # ddtrace names no service on this span: the request's
    serialize = internal_event(
        "fastapi", "fastapi.serialize_response", pin_source=fastapi, inherit_service=True, service_source=False
    )
    publisher.wrap(fastapi.routing, "serialize_response", traced_async(serialize))
    routes(publisher, fastapi.routing.APIRoute, starlette.routing.Mount)
    background(publisher, fastapi.BackgroundTasks, fastapi)


def unpatch(fastapi: ModuleType) -> None:
    publisher.unwrap_all()
