"""RouterPlugin: web framework requests, named after the matched route."""

from __future__ import annotations

import functools
from typing import ClassVar
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext
from ddtrace_integrations.tracing_plugins.base.server import ServerPlugin

WEB = "web_context"
RESPONSE = "web_response"
INITIAL_RESOURCE = "initial_resource"
ROUTED = "routed"
OBFUSCATE_404 = "obfuscate_404_resource"  # ddtrace's ASGI setting (DD_ASGI_OBFUSCATE_404_RESOURCE)
WEBSOCKETS = "trace_asgi_websocket_messages"  # ddtrace's ASGI setting: websocket connections traced at all


class RouterPlugin(ServerPlugin):
    service_at_start = True
    # Some frameworks leave a resource the application set on the request span (e.g. Django's).
    keep_user_resource: ClassVar[bool] = False

    def register(self) -> None:
        super().register()
        dd.core.on(self._routed_event, self._routed, self._listener_name)

    def unregister(self) -> None:
        super().unregister()
        dd.core.reset_listeners(self._routed_event, self._routed)

    @property
    def _routed_event(self) -> str:
        return f"context.routed.{self.event_name}"

    def _routed(self, ctx: dd.ExecutionContext) -> None:
        try:
            self.on_route(ctx)
        except Exception:
            self._fault(ctx)

    def on_route(self, ctx: dd.ExecutionContext) -> None:
        """The framework matched the route before running the request's hooks and view: name the span now,
        so code inside the request reads the route's resource (again as a router matches a mount, then its
        route). A resource the application sets after this is its own and is kept."""
        items = dd.context_items(ctx)
        span = ctx.span
        resource = self.resource(items[WEB])
        if span is not None and resource and (not items.get(ROUTED) or span.resource == items.get(INITIAL_RESOURCE)):
            span.resource = resource
            ctx.set_item(INITIAL_RESOURCE, resource)
            ctx.set_item(ROUTED, True)

    def operation_name(self) -> str:
        return self.span_name

    @functools.cached_property
    def span_name(self) -> str:
        """``<package>.request`` under the span attribute schema, which ddtrace reads once, when it starts."""
        return dd.schematize_url_operation(
            f"{self.package}.request", protocol="http", direction=dd.SpanDirection.INBOUND
        )

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        web: WebContext = dd.context_items(ctx)[WEB]
        name = self.operation_name()
        method: Optional[str] = web.method
        if web.websocket:  # traced or not as ddtrace's ASGI middleware does; no HTTP method, nor a schema's name
            if not dd.setting(self.integration_config, WEBSOCKETS, False):
                return
            name, method = f"{self.package}.request", None
        resource = f"{web.method} {web.path}"
        # nested in a traced application: the outer span took the caller's context and the client's address
        headers = None if web.nested else web.headers
        span = self.start_inbound_span(ctx, name, headers, resource=resource)
        if span is None:
            return
        ctx.set_item(INITIAL_RESOURCE, resource)
        if web.tags:
            dd.set_tags(span, web.tags)
        dd.set_http_meta(
            span,
            self.integration_config,
            method=method,
            url=web.url,
            query=web.query,
            parsed_query=None if web.nested else web.query_params,
            request_headers=web.headers,
            request_cookies=dict(web.cookies),
            peer_ip=None if web.nested else web.peer_ip,
        )

    def resource(self, web: WebContext) -> Optional[str]:
        return web.resource or (f"{web.method} {web.route}" if web.route else None)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        """Route and response: frameworks know them only after the request span started."""
        web: WebContext = dd.context_items(ctx)[WEB]
        response: Optional[WebResponseContext] = dd.context_items(ctx).get(RESPONSE)
        resource = self.resource(web)
        if response is not None and response.status_code == 404 and dd.setting(self.integration_config, OBFUSCATE_404):
            resource = f"{web.method} 404"
        keep = self.keep_user_resource or dd.context_items(ctx).get(ROUTED)
        if resource and not (keep and span.resource != dd.context_items(ctx).get(INITIAL_RESOURCE)):
            span.resource = resource
        if web.tags:
            dd.set_tags(span, web.tags)
        dd.set_http_meta(
            span,
            self.integration_config,
            status_code=response.status_code if response else None,
            status_msg=response.status_msg if response else None,
            response_headers=response.headers if response else None,
            request_path_params=web.path_params,
            route=web.route,
        )
        super().finish_span(ctx, span, exc_info)
