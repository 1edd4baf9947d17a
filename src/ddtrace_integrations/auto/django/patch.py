"""Django publisher: ``django.request`` around ``BaseHandler.get_response`` (WSGI) or around the ASGI
application, and ``django.internal`` for middleware hooks, views, class-based view methods and response
rendering; templates, caches and databases behind ddtrace's switches (``DD_DJANGO_INSTRUMENT_*``).

Hooks and view methods are wrapped where their class defines them; views when ``path()``/``re_path()`` or
``View.as_view()`` register them, as ddtrace does. channels routes ASGI applications with the same ``path()``
and ``re_path()``: its ``URLRouter`` gets them back unwrapped (they are no views).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import uuid
from types import ModuleType
from typing import Any
from typing import Callable
from typing import Dict
from typing import Optional
from typing import Tuple

import wrapt
from django.urls import Resolver404  # this module is imported once Django is (to patch it)
from django.urls import get_resolver

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import web
from ddtrace_integrations.auto.django import extras
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import class_name
from ddtrace_integrations.publisher import find_pin
from ddtrace_integrations.publisher import function_name
from ddtrace_integrations.publisher import internal_event
from ddtrace_integrations.publisher import is_wrapped
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.publisher import traced_function
from ddtrace_integrations.tracing_plugins.base.events import InternalContext
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext

log = dd.get_logger(__name__)

supported_versions = {"django": ">=2.2"}  # and channels.routing, any version
publisher = Publisher("django")
REQUEST = "context.started.django.request"

HOOKS: Tuple[str, ...] = (
    "process_request",
    "process_view",
    "process_response",
    "process_template_response",
    "process_exception",
)
HOOKS += ("__call__",)
VIEW_METHODS = ("get", "delete", "post", "options", "head")
LIFECYCLE = ("setup", "dispatch", "http_method_not_allowed")


class _ViewProxy(wrapt.FunctionWrapper):
    """A callable registered by ``path()``/``re_path()``, traced as a view."""


def patch(module: ModuleType) -> None:
    if module.__name__ == "channels.routing":
        publisher.wrap(module.URLRouter, "__init__", _routes_unwrapped)
    else:
        _patch_django(module)


def _patch_django(django: ModuleType) -> None:
    from django.core.handlers.base import BaseHandler
    from django.http import Http404
    from django.views.generic.base import View

    publisher.pin(django)

    def event(name: str, **options: Any) -> Event:
        return internal_event("django", name, pin_source=django, **options)

    request = Event("django.request", lambda _, args, kw: _request(argument(args, kw, 0, "request")), done=_responded)
    request.pin_source = django
    publisher.wrap_method(BaseHandler, "get_response", request)
    publisher.wrap(BaseHandler, "get_response_async", _async_tags)
    publisher.wrap(BaseHandler, "load_middleware", _middleware_loader(django))
    asgi = web.AsgiEvents("django", pin_source=django)
    asgi_module = importlib.import_module("django.core.asgi")
    publisher.wrap(asgi_module, "get_asgi_application", lambda wrapped, _, a, k: asgi.traced_app(wrapped(*a, **k)))

    def instrument_view(view: Any) -> Any:
        for cls in reversed(inspect.getmro(view)) if inspect.isclass(view) else ():
            _instrument_methods(cls, event)
        if not callable(view):
            return view
        dd.register_entrypoint(view)
        _instrument_methods(view, event)
        if is_wrapped(view):
            return view
        ignored = (Http404, *_cancellation(view))
        return traced_function(
            view, event("django.view", resource=function_name(view), ignored=ignored), proxy=_ViewProxy
        )

    def urls(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        view = argument(args, kwargs, 1, "view")
        args, kwargs = replace_argument(args, kwargs, 1, "view", instrument_view(view))
        return wrapped(*args, **kwargs)

    for name in ("path", "re_path"):
        publisher.wrap(importlib.import_module("django.urls"), name, urls)

    def as_view(wrapped: Callable, cls: Any, args: Args, kwargs: Kwargs) -> Any:
        instrument_view(cls)
        view = wrapped(*args, **kwargs)  # an async view's function is marked a coroutine function (Python 3.12+)
        return traced_function(view, event("django.view", resource=function_name(cls), ignored=_cancellation(view)))

    publisher.wrap(View, "as_view", as_view)
    extras.patch(django, publisher)


def unpatch(module: ModuleType) -> None:
    publisher.unwrap_all()


def _routes_unwrapped(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
    """A channels route leads to an ASGI application (Django's own, or any other), never to a view, so the
    callback our ``path()`` wrapper traced is put back as the application gave it (as ddtrace does). Traced as a
    view, Django's application would get a view span that ends before the request starts (a trace of its own),
    and any other application a trace ddtrace does not make."""
    try:
        for route in argument(args, kwargs, 0, "routes") or ():
            callback = getattr(route, "callback", None)
            if isinstance(callback, _ViewProxy):
                route.callback = callback.__wrapped__
    except Exception:
        log.debug("channels routes left as they are", exc_info=True)
    return wrapped(*args, **kwargs)


def _instrument_methods(view: Any, event: Callable[..., Event]) -> None:
    """A class-based view's handlers and lifecycle methods, named after the first class that has them."""
    names = getattr(view, "http_method_names", None) or VIEW_METHODS
    for name in (*names, *LIFECYCLE):
        method = getattr(view, name, None)
        if method is not None and not is_wrapped(method):
            resource = f"{function_name(view)}.{name}"
            wrapper = traced_async if inspect.iscoroutinefunction(method) else traced
            view_event = event(f"django.view.{name}", resource=resource, ignored=_cancellation(method))
            # a wrapt proxy, not ``wrap_method``'s function: with that, ddtrace's code origin tags the dispatch
            # span where ddtrace tags the view's (found by the parity runs)
            publisher.wrap(view, name, wrapper(view_event))
    response_class = getattr(view, "response_class", None)
    render = getattr(response_class, "render", None)
    if render is not None and not is_wrapped(render):
        resource = f"{function_name(response_class)}.render"
        publisher.wrap_method(response_class, "render", event("django.response.render", resource=resource))


def _request(request: Any) -> Dict[str, Any]:
    return {"web_context": _web(request)}


def _web(request: Any) -> WebContext:
    meta = request.META
    return WebContext(
        request.method,
        f"{request.scheme}://{request._get_raw_host()}{request.path}",
        request.path,
        headers=request.headers,
        query=meta.get("QUERY_STRING"),
        query_params=request.GET,
        peer_ip=meta.get("REMOTE_ADDR"),
        cookies=request.COOKIES,
        tags={"django.request.class": class_name(type(request))},
    )


def _responded(ctx: dd.ExecutionContext, response: Any) -> None:
    request = argument(ctx.get_item("args"), ctx.get_item("kwargs"), 0, "request")
    _apply(ctx.get_item("web_context"), request)
    if response is not None:
        ctx.set_item("web_response", _response(ctx.get_item("web_context"), response))


def _response(web_context: WebContext, response: Any) -> WebResponseContext:
    web_context.tags["django.response.class"] = class_name(type(response))
    template: Any = getattr(response, "template_name", None)
    if isinstance(template, str):
        template = [template]
    elif template is not None and hasattr(template, "template"):
        template = [template.template.name]
    _tag_array(web_context.tags, "django.response.template", template)
    return WebResponseContext(response.status_code, dict(response.items()))


def _apply(web_context: WebContext, request: Any) -> None:
    """The user and the resolved route, known once the middleware chain ran."""
    tags = web_context.tags
    user = getattr(request, "user", None)
    if user is not None:
        try:
            if hasattr(user, "is_authenticated"):
                tags["django.user.is_authenticated"] = str(bool(user.is_authenticated))
            uid = getattr(user, "pk", None)
            if uid and isinstance(uid, (int, uuid.UUID)):
                tags["django.user.id"] = tags["usr.id"] = str(uid)
            if dd.integration_setting("django", "include_user_name") and getattr(user, "username", None):
                tags["django.user.name"] = user.username
        except Exception:
            log.debug("the request's user could not be read", exc_info=True)
    web_context.resource = _resolve(request, web_context)


def _resolve(request: Any, web_context: WebContext) -> str:
    method = request.method
    try:
        match = request.resolver_match or get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        handler = function_name(getattr(match[0], "view_class", match[0]))
        route = match.route or _root_pattern(request)
        web_context.route = route or None
        web_context.path_params = match.kwargs
        tags = web_context.tags
        tags["django.view"] = match.view_name
        _tag_array(tags, "django.namespace", match.namespaces)
        _tag_array(tags, "django.app", getattr(match, "app_names", None))
        setting = dd.integration_setting
        if setting("django", "use_handler_resource_format"):
            return f"{method} {handler}"
        if setting("django", "use_legacy_resource_format"):
            return handler
        if route:
            return f"{method} {route}"
        if setting("django", "use_handler_with_url_name_resource_format") and match.url_name:
            handler = f"{handler}.{match.url_name}"
        return f"{method} {handler}"
    except Resolver404:
        return f"{method} 404"
    except Exception:
        log.debug("the request's route could not be resolved", exc_info=True)
        return method


def _root_pattern(request: Any) -> Optional[str]:
    try:
        pattern: Any = get_resolver(getattr(request, "urlconf", None)).pattern
        return pattern.regex.pattern
    except AttributeError:
        return None


def _tag_array(tags: Dict[str, Any], name: str, values: Any) -> None:
    if not values:
        return
    if len(values) == 1:
        tags[name] = values[0]
    else:
        tags.update((f"{name}.{i}", value) for i, value in enumerate(values))


async def _async_tags(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
    """ASGI: the request span belongs to the ASGI exchange; Django's tags are added to it here."""
    if not dd.core.has_listeners(REQUEST):
        return await wrapped(*args, **kwargs)
    request = argument(args, kwargs, 0, "request")
    exchange = web.current_request()
    web_context: Optional[WebContext] = exchange.get_item("web_context") if exchange is not None else None
    if exchange is None or web_context is None:
        return await wrapped(*args, **kwargs)
    try:
        web_context.tags["django.request.class"] = class_name(type(request))
    except Exception:
        log.debug("the request could not be read", exc_info=True)
    response = None
    try:
        response = await wrapped(*args, **kwargs)
        return response
    finally:
        try:
            _apply(web_context, request)
            if response is not None:
                exchange.set_item("web_response", _response(web_context, response))
        except Exception:
            log.debug("the response could not be read", exc_info=True)


def _middleware_loader(django: ModuleType) -> Callable:
    def load_middleware(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if dd.integration_setting("django", "instrument_middleware") is not False:
            from django.conf import settings
            from django.utils.module_loading import import_string

            for path in getattr(settings, "MIDDLEWARE", None) or ():
                try:
                    _wrap_middleware(import_string(path), path, django)
                except Exception:
                    log.debug("middleware %s not traced", path, exc_info=True)
        return wrapped(*args, **kwargs)

    return load_middleware


def _wrap_middleware(middleware: Any, path: str, django: ModuleType) -> None:
    if inspect.isclass(middleware):
        for hook in HOOKS:
            owner = next((c for c in middleware.__mro__ if hook in vars(c)), None)
            function = vars(owner)[hook] if owner is not None and owner is not object else None
            if inspect.isfunction(function):
                event = Event("django.internal", _hook(hook, _cancellation(function), django), pin_source=django)
                publisher.wrap_method(owner, hook, event)
        return
    name = path.rpartition(".")[2]
    module = inspect.getmodule(middleware)
    if module is None or getattr(module, name, None) is not middleware or not inspect.isfunction(middleware):
        return
    resource = f"{middleware.__module__}.{middleware.__qualname__}"

    def factory(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        handler = wrapped(*args, **kwargs)
        if not inspect.isfunction(handler):
            return handler
        ignored = _cancellation(handler)
        event = internal_event("django", "django.middleware", pin_source=django, resource=resource, ignored=ignored)
        return traced_function(handler, event)

    publisher.wrap(module, name, factory)


def _hook(hook: str, ignored: Tuple[type, ...], django: ModuleType) -> Callable[[Any, Args, Kwargs], Dict[str, Any]]:
    """The context of a middleware hook's call. Its pin is Django's (as ddtrace's, whose middleware spans read no
    pin of the middleware): a middleware object is asked for none, on each of a request's many hook calls."""
    resources: Dict[type, str] = {}  # by middleware class (a handful)

    def build(instance: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
        cls = type(instance)
        resource = resources.get(cls)
        if resource is None:
            if len(resources) >= 64:
                resources.clear()
            resource = resources[cls] = f"{class_name(cls)}.{hook}"
        # by position: keyword arguments cost a name match each, on every middleware call
        internal = InternalContext("django.middleware", resource, None, ignored)
        return {"internal_context": internal, "pin": find_pin(None, django)}

    return build


def _cancellation(function: Any) -> Tuple[type, ...]:
    """The exceptions that end a span around ``function`` without an error: ASGI cancels a request's task when
    its client disconnects, a routine end that ddtrace does not mark on the coroutines' spans it makes."""
    return (asyncio.CancelledError,) if inspect.iscoroutinefunction(function) else ()
