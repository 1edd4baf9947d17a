"""Flask publisher: ``flask.request`` for each WSGI exchange, ending when the server closes the response
(streamed bodies included), and ``flask.internal`` for the framework's steps, hooks and views inside it.

Methods are wrapped in place on ``Flask``/``Blueprint``; hooks, views and error handlers when registered.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import web
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import function_name
from ddtrace_integrations.publisher import internal_event
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.publisher import traced_function
from ddtrace_integrations.tracing_plugins.base.events import WebContext

log = dd.get_logger(__name__)
supported_versions = {"flask": ">=2.0"}
publisher = Publisher("flask")
INTERNAL = "context.started.flask.internal"  # the framework's steps, hooks, views and templates

STEPS: Tuple[str, ...] = ("process_response", "handle_exception", "handle_http_exception")
STEPS += ("handle_user_exception", "do_teardown_request", "do_teardown_appcontext", "send_static_file")
SIGNALS: Tuple[str, ...] = ("request_started", "request_finished", "request_tearing_down", "got_request_exception")
SIGNALS += ("template_rendered", "before_render_template", "message_flashed")
SIGNALS += ("appcontext_tearing_down", "appcontext_pushed", "appcontext_popped")
APP_HOOKS = ("before_request", "after_request", "teardown_request", "teardown_appcontext")
BLUEPRINT_HOOKS = (*APP_HOOKS[:3], "before_app_request", "after_app_request", "teardown_app_request")


def _query_params(req: Any) -> Any:
    """The parsed query, or none when it is not UTF-8 (Werkzeug then cannot parse it): the request is still
    traced, with its raw query."""
    try:
        return req.args
    except UnicodeDecodeError:
        return {}


def patch(flask: ModuleType) -> None:
    import werkzeug
    from werkzeug.exceptions import NotFound

    publisher.pin(flask)
    version = {"flask.version": get_version(flask)}

    def request(environ: Dict[str, Any]) -> WebContext:
        req: Any = werkzeug.Request(environ)
        return WebContext(
            req.method,
            req.base_url,
            req.path,
            headers=req.headers,
            query=req.query_string,
            query_params=_query_params(req),
            peer_ip=req.remote_addr,
            cookies=req.cookies,
            tags=dict(version),
        )

    def event(name: str, **options: Any) -> Any:
        return internal_event("flask", name, pin_source=flask, **options)

    def current_route(status: str = "") -> web.Route:
        return _route(flask.request._get_current_object(), status)

    def matched(status: str) -> None:
        web.route_matched(current_route(status), final=True)

    wsgi = web.WsgiEvents("flask", pin_source=flask, request=request, on_start_response=matched)
    publisher.wrap_method(flask.Flask, "wsgi_app", wsgi.request, wsgi.traced_app)
    for step in ("preprocess_request", "dispatch_request"):
        # the route is known here; ddtrace tags it on the request span and on the application span
        routing = web.routing(event(f"flask.{step}", ignored=(NotFound,)), current_route)
        publisher.wrap(flask.Flask, step, routing)
    for step in STEPS:
        publisher.wrap_method(flask.Flask, step, event(f"flask.{step}"))
    publisher.wrap(flask, "send_file", traced(event("flask.send_file")))
    # Helpers that name no service, as in ddtrace: the parent's inside a request, the application's outside.
    publisher.wrap(flask, "jsonify", traced(event("flask.jsonify", inherit_service=True, service_source=False)))
    for name in ("render_template", "render_template_string"):
        publisher.wrap(flask, name, traced(event(f"flask.{name}", span_type="template", inherit_service=True)))
    publisher.wrap(flask.templating, "_render", _named_template)

    def hook(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        fn = argument(args, kwargs, 0, "f")
        args, kwargs = replace_argument(args, kwargs, 0, "f", traced_function(fn, event(function_name(fn))))
        return wrapped(*args, **kwargs)

    for cls, hooks in ((flask.Flask, APP_HOOKS), (flask.Blueprint, BLUEPRINT_HOOKS)):
        for name in hooks:
            publisher.wrap(cls, name, hook)

    def request_hook(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        """A hook registered while a request runs, to run in that request: traced if the request is."""
        if not dd.core.has_listeners(INTERNAL):
            return wrapped(*args, **kwargs)
        return hook(wrapped, instance, args, kwargs)

    publisher.wrap(flask, "after_this_request", request_hook)

    def error_handler(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        fn = argument(args, kwargs, 1, "f")
        args, kwargs = replace_argument(args, kwargs, 1, "f", traced_function(fn, event(function_name(fn))))
        return wrapped(*args, **kwargs)

    publisher.wrap(flask.Flask, "register_error_handler", error_handler)

    def add_url_rule(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        view = argument(args, kwargs, 2, "view_func")
        if view is not None:
            dd.register_entrypoint(view)
            rule, endpoint = argument(args, kwargs, 0, "rule"), argument(args, kwargs, 1, "endpoint")
            traced_view = traced_function(view, event(endpoint or function_name(view), resource=rule))
            args, kwargs = replace_argument(args, kwargs, 2, "view_func", traced_view)
        return wrapped(*args, **kwargs)

    publisher.wrap(flask.Flask, "add_url_rule", add_url_rule)

    def receivers(signal: str) -> Callable:
        def traced_receivers(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Iterator:
            if not dd.core.has_listeners(INTERNAL) or dd.integration_setting("flask", "trace_signals") is False:
                return wrapped(*args, **kwargs)
            if not getattr(instance, "receivers", True):  # blinker's: no receiver connected, nothing to wrap
                return wrapped(*args, **kwargs)
            return (
                traced_function(receiver, event(function_name(receiver), tags={"flask.signal": signal}))
                for receiver in wrapped(*args, **kwargs)
            )

        return traced_receivers

    for signal in SIGNALS:
        publisher.wrap(getattr(flask, signal), "receivers_for", receivers(signal))


def unpatch(flask: ModuleType) -> None:
    publisher.unwrap_all()


def get_version(flask: ModuleType) -> str:
    """From the distribution: ``flask.__version__`` is deprecated."""
    from importlib.metadata import version

    return version("flask")


def _route(request: Any, status: str = "") -> web.Route:
    """What the matched URL rule says about the request (the request object itself, not the ``flask.request``
    proxy: each attribute read through the proxy costs a context lookup), in ddtrace's tags."""
    route = web.Route()
    endpoint, rule = request.endpoint, request.url_rule and request.url_rule.rule
    if endpoint:
        route.resource = f"{request.method} {endpoint}"
        route.tags["flask.endpoint"] = endpoint
    if rule:
        route.resource, route.path = f"{request.method} {rule}", rule
        route.tags["flask.url_rule"] = rule
        if request.script_root:  # mounted under a prefix: the resource stays the app's, the full path beside it
            route.tags["flask.resource.full"] = f"{request.method} {request.script_root}{rule}"
    if not route.resource and status:
        route.resource = f"{request.method} {status.split(' ', 1)[0]}"
    for name, value in (request.view_args or {}).items():
        route.tags[f"flask.view_args.{name}"] = value
    route.params = request.view_args or {}
    return route


def _named_template(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
    """Names the running ``render_template`` span after the template."""
    if dd.core.has_listeners(INTERNAL):
        try:
            template = argument(args, kwargs, 1, "template")
            web.name_current(getattr(template, "name", None) or "<memory>", "flask.template_name")
        except Exception:
            log.debug("the template's name could not be read", exc_info=True)
    return wrapped(*args, **kwargs)
