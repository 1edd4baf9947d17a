"""TracingPlugin: subscription, fault isolation and span creation shared by every plugin."""

from __future__ import annotations

import logging
from typing import Any
from typing import ClassVar
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo

log = dd.get_logger(__name__)
# A plugin fails once, then it is off: its line must not be rate-limited away. ddtrace's loggers (dd.get_logger)
# keep one record per call site a minute, which hid every failure but the first of any plugin.
fault_log = logging.getLogger(f"{__name__}.faults")

_CLASS_TYPE: Any = object()  # start_span's defaults: the class's span type, the active span as parent
_ACTIVE: Any = object()
_tracer = dd.tracer  # one object for the life of the process (its context provider may be reconfigured)
_configs = dd.registered_configs  # ``integration_config`` without the property call, on the hot path
_RECIPES = 256


class TracingPlugin:
    """Subscribes to ``context.started/ended.{package}.{operation}`` and turns a context into a span."""

    package: ClassVar[str]
    operation: ClassVar[str]
    kind: ClassVar[Optional[str]] = None
    type: ClassVar[Optional[str]] = None
    measured: ClassVar[bool] = False
    component: ClassVar[Optional[str]] = None  # the ``component`` tag; None: the integration's name
    # Whether a pin's service names the span, read by ``OutboundPlugin.service`` (which consumers borrow): some
    # ddtrace integrations (requests, redis) name theirs from their settings alone.
    pin_service: ClassVar[bool] = True
    # The tracer tags ``version`` from the service a span starts with: some ddtrace integrations name
    # their service at start, others rename the span afterwards. ddtrace's DB-API layer also leaves
    # ``_dd.svc_src`` to the tracer (``tracer_service_source``).
    service_at_start: ClassVar[bool] = False
    tracer_service_source: ClassVar[bool] = False
    # An empty resource is left to the tracer (the span's name), as ddtrace's event-based integrations leave it
    # (its core ``_start_span`` drops empty span arguments); True passes "" on, as its DB-API integrations do.
    keep_empty_resource: ClassVar[bool] = False
    # Registered with ddtrace's config the first time a plugin of this package starts.
    config_defaults: ClassVar[Dict[str, Any]] = {}

    def __init__(self) -> None:
        self.enabled = False
        self._started = self._on_started
        self._ended = self._on_ended
        self._returned = self._on_returned
        self._own_on_finish = True
        self._base_service = False
        # ``_recipe`` by the settings and shared tags it was made from
        self._recipes: Dict[Tuple[Any, ...], Tuple[Optional[str], Optional[str], Dict[str, Any], Any]] = {}

    @property
    def event_name(self) -> str:
        return f"{self.package}.{self.operation}"

    @property
    def integration_config(self) -> Any:
        """Looked up on every use: ddtrace replaces the object whenever a module registers the name again."""
        config = dd.registered_configs.get(self.package)
        if config is None:  # registered when the library is patched, as ddtrace registers its own
            config = dd.integration_config(self.package, self.config_defaults)
        return config

    def register(self) -> None:
        # whether ``on_finish`` is other than the base one (a subclass's, or one set on this plugin)
        self._own_on_finish = "on_finish" in vars(self) or type(self).on_finish is not TracingPlugin.on_finish
        # whether the service comes from the settings ``_recipe`` is keyed on alone (the base classes' ``service``)
        self._base_service = "service" not in vars(self) and type(self).service in _BASE_SERVICES
        # What ``start_span`` reads of this plugin, in one attribute: the method is shared by every plugin class, so
        # its attribute reads rarely stay specialized (and on CPython 3.11 a class attribute read through an
        # instance never is); a tuple unpacks in one step.
        self._span_spec = (
            self.package,
            self.service_at_start,
            self.keep_empty_resource,
            self.type,
            self._base_service,
            self._recipes,
        )
        dd.core.on(f"context.started.{self.event_name}", self._started, self._listener_name)
        dd.core.on(f"context.ended.{self.event_name}", self._ended, self._listener_name)
        if type(self).on_return is not TracingPlugin.on_return:
            dd.core.on(f"context.returned.{self.event_name}", self._returned, self._listener_name)
        self.enabled = True

    def unregister(self) -> None:
        """No new spans; the calls already running end the spans they opened (replacing ``_ended``, by name):
        an open span would hold back its whole trace. Nothing is started while off, so this then costs nothing."""
        dd.core.reset_listeners(f"context.started.{self.event_name}", self._started)
        dd.core.on(f"context.ended.{self.event_name}", self._ended_while_off, self._listener_name)
        dd.core.reset_listeners(f"context.returned.{self.event_name}", self._returned)
        self.enabled = False

    @property
    def _listener_name(self) -> str:
        return f"ddtrace_integrations:{type(self).__module__}.{type(self).__qualname__}"

    def _on_started(self, ctx: dd.ExecutionContext) -> None:
        try:
            self.on_start(ctx)
        except Exception:
            self._fault(ctx)

    def _on_ended(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        try:
            if self._own_on_finish:
                self.on_finish(ctx, exc_info)
            else:  # the base on_finish, without its call
                span = ctx.span
                if span is not None:
                    self.finish_span(ctx, span, exc_info)
        except Exception:
            self._fault(ctx)

    def _on_returned(self, ctx: dd.ExecutionContext) -> None:
        try:
            self.on_return(ctx)
        except Exception:
            self._fault(ctx)

    def _ended_while_off(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        try:
            self.end_spans(ctx)
        except Exception:
            log.debug("%s: a span could not be ended", type(self).__name__, exc_info=True)

    def _fault(self, ctx: dd.ExecutionContext) -> None:
        """A plugin bug must never reach the application: log it once and switch this plugin off."""
        fault_log.error("ddtrace-integrations plugin %s failed and is now disabled", type(self).__name__, exc_info=True)
        self.unregister()
        self.end_spans(ctx)

    def end_spans(self, ctx: dd.ExecutionContext) -> None:
        """Finish what ``ctx``'s spans are (a no-op for those already finished), without describing them further:
        after a failure, or for a call that ends once this plugin is off. Override when a plugin opens more."""
        span = ctx.span
        if span is not None:
            span.finish()

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        """Override: create the span (``start_span``) from the context's typed data."""

    def on_return(self, ctx: dd.ExecutionContext) -> None:
        """Override: the call returned but its context ends later (``Event(deferred_end=True)``)."""

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        """The context ended: its span, if it has one, is finished (``finish_span``). Override to make the
        span only now (e.g. a receive, whose messages are known when it returns)."""
        span = ctx.span
        if span is not None:
            self.finish_span(ctx, span, exc_info)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        """Override to tag what the end of the call tells, then call super(): records the error and finishes."""
        if exc_info[1] is not None:
            dd.record_error(span, *exc_info)
        span.finish()

    def service(self, pin: Any) -> Optional[str]:
        """Service of a span for work inside the application (e.g. a web framework's request)."""
        return dd.internal_service(pin, self.integration_config)

    def span_attributes(self) -> Dict[str, Any]:
        """The tags every span of this plugin starts with, from its class declarations (built once)."""
        attributes: Dict[str, Any] = {dd.COMPONENT: self.component or self.integration_config.integration_name}
        if self.kind:
            attributes[dd.SPAN_KIND] = self.kind
        if self.measured:
            attributes[dd.MEASURED_KEY] = 1
        return attributes

    def _recipe(
        self,
        pin: Any,
        config: Any,
        service: Optional[str],
        inherit_service: bool,
        service_source: bool,
        tags: Optional[Dict[str, Any]],
    ) -> Tuple[Optional[str], Optional[str], Dict[str, Any], Any]:
        """What spans started under one set of settings share: the service named at start, the service set
        afterwards (a mapped one, or None), and the attributes (the class's, ``_dd.svc_src``, ``tags``). It holds
        ``tags`` itself, so that its id, part of the key, names no other dict while the recipe exists."""
        if len(self._recipes) >= _RECIPES:  # connections made on the fly must not accumulate
            self._recipes.clear()
        if inherit_service:
            service = None
        elif service is None:
            service = self.service(pin)
        mapped = source = None
        if service_source and not self.tracer_service_source:
            mapped, source = dd.service_and_source(service, config)
        attributes = self.span_attributes()
        if source:
            attributes[dd.SERVICE_SOURCE] = source
        if tags:
            attributes.update(tags)
        return service, mapped, attributes, tags

    def start_span(
        self,
        ctx: dd.ExecutionContext,
        name: str,
        *,
        resource: Optional[str] = None,
        span_type: Any = _CLASS_TYPE,
        service: Optional[str] = None,
        child_of: Any = _ACTIVE,
        inherit_service: bool = False,
        service_source: bool = True,
        tags: Optional[Dict[str, Any]] = None,
    ) -> Optional[dd.Span]:
        """Start and activate the span of ``ctx`` (None when its pin is disabled).

        ``span_type`` defaults to the class's ``type``; ``service`` to ``self.service(pin)``; ``child_of`` to
        what is active (None: a root span); ``inherit_service``: part of its parent's work, under its service;
        ``service_source=False``: the tracer alone names the service's source (``_dd.svc_src``); ``tags``: tags
        many spans share (a connection's), in a dict built once and never modified: merged once with the class's
        tags, then set with them in one call.
        """
        items = dd.context_items(ctx)
        pin = items.get("pin")
        if pin is None or not (_tracer.enabled or pin.enabled()):  # pin.enabled(): the tracer's, or APM opted out
            return None
        package, at_start, keep_empty, class_type, base_service, recipes = self._span_spec
        config = _configs.get(package)
        if config is None:
            config = self.integration_config
        if service is None and not inherit_service and not base_service:
            service = self.service(pin)  # an override may read more than the settings below: asked every time
        key = (dd.service_settings(pin, config), service, inherit_service, service_source, id(tags))
        recipe = recipes.get(key)
        if recipe is None:
            recipe = recipes[key] = self._recipe(pin, config, service, inherit_service, service_source, tags)
        span = _tracer.start_span(  # positional: the keyword form costs more per span
            name,
            _tracer.context_provider.active() if child_of is _ACTIVE else child_of,
            recipe[0] if at_start else None,
            resource if resource or keep_empty else None,
            class_type if span_type is _CLASS_TYPE else span_type,
            True,  # activate
        )
        dd.set_attributes(span, recipe[2])
        if recipe[1] is not None:
            span.service = recipe[1]
        ctx.span = span
        return span


# The ``service`` methods that read nothing but ``dd.service_settings``; set by the modules defining them.
_BASE_SERVICES: List[Any] = [TracingPlugin.service]
