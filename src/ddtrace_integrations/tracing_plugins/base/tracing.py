"""TracingPlugin: subscription, fault isolation and span creation shared by every plugin."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Dict
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo

log = dd.get_logger(__name__)

SPAN = "span"


class TracingPlugin:
    """Subscribes to ``context.started/ended.{package}.{operation}`` and turns a context into a span."""

    package: ClassVar[str]
    operation: ClassVar[str]
    kind: ClassVar[Optional[str]] = None
    type: ClassVar[Optional[str]] = None
    measured: ClassVar[bool] = False
    # The tracer tags ``version`` from the service a span starts with: some ddtrace integrations name
    # their service at start, others rename the span afterwards. ddtrace's DB-API layer also leaves
    # ``_dd.svc_src`` to the tracer (``tracer_service_source``).
    service_at_start: ClassVar[bool] = False
    tracer_service_source: ClassVar[bool] = False
    # Registered with ddtrace's config the first time a plugin of this package starts.
    config_defaults: ClassVar[Dict[str, Any]] = {}

    def __init__(self) -> None:
        self.enabled = False
        self._started = self._on_started
        self._ended = self._on_ended
        self._returned = self._on_returned
        self._component = ""

    @property
    def event_name(self) -> str:
        return f"{self.package}.{self.operation}"

    @property
    def integration_config(self) -> Any:
        """Looked up on every use: ddtrace replaces the object whenever a module registers the name again."""
        config = dd.registered_config(self.package)
        if config is None:  # registered when the library is patched, as ddtrace registers its own
            config = dd.integration_config(self.package, self.config_defaults)
        if not self._component:
            self._component = config.integration_name
        return config

    def register(self) -> None:
        dd.core.on(f"context.started.{self.event_name}", self._started, self._listener_name)
        dd.core.on(f"context.ended.{self.event_name}", self._ended, self._listener_name)
        if type(self).on_return is not TracingPlugin.on_return:
            dd.core.on(f"context.returned.{self.event_name}", self._returned, self._listener_name)
        self.enabled = True

    def unregister(self) -> None:
        dd.core.reset_listeners(f"context.started.{self.event_name}", self._started)
        dd.core.reset_listeners(f"context.ended.{self.event_name}", self._ended)
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
            self.on_finish(ctx, exc_info)
        except Exception:
            self._fault(ctx)

    def _on_returned(self, ctx: dd.ExecutionContext) -> None:
        try:
            self.on_return(ctx)
        except Exception:
            self._fault(ctx)

    def _fault(self, ctx: dd.ExecutionContext) -> None:
        """A plugin bug must never reach the application: log it once and switch this plugin off."""
        log.error("ddtrace-integrations plugin %s failed and is now disabled", type(self).__name__, exc_info=True)
        self.unregister()
        span = ctx.get_item(SPAN)
        if span is not None:
            span.finish()  # a no-op when the span already finished

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        """Override: create the span (``start_span``) from the context's typed data."""

    def on_return(self, ctx: dd.ExecutionContext) -> None:
        """Override: the call returned but its context ends later (``Event(deferred_end=True)``)."""

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        span = ctx.get_item(SPAN)
        if span is None:
            return
        if exc_info[1] is not None:
            dd.record_error(span, *exc_info)
        span.finish()

    def service(self, pin: Any) -> Optional[str]:
        """Service of a span for work inside the application (e.g. a web framework's request)."""
        return dd.int_service(pin, self.integration_config)

    def start_span(self, ctx: dd.ExecutionContext, name: str, **options: Any) -> Optional[dd.Span]:
        pin = ctx.get_item("pin")
        if pin is None or not pin.enabled():
            return None
        config = self.integration_config
        options.setdefault("span_type", self.type)
        inherit = options.pop("inherit_service", False)  # a part of its parent's work, under its service
        options_source = options.pop("service_source", True)  # False: the tracer alone names the source
        service: Any = None if inherit else options.pop("service", None) or self.service(pin)
        parent = options.pop("child_of") if "child_of" in options else dd.tracer.context_provider.active()
        if self.service_at_start:
            options["service"] = service
        span = dd.tracer.start_span(name, child_of=parent, activate=True, **options)
        if not self.tracer_service_source and options_source:
            dd.set_service_and_source(span, service, config)
        dd.set_attribute(span, dd.COMPONENT, self._component)
        if self.kind:
            dd.set_attribute(span, dd.SPAN_KIND, self.kind)
        if self.measured:
            dd.set_attribute(span, dd.MEASURED_KEY, 1)
        ctx.set_item(SPAN, span)
        return span
