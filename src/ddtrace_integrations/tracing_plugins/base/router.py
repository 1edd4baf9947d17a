"""RouterPlugin: web framework requests, named after the matched route."""

from __future__ import annotations

from typing import ClassVar
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext
from ddtrace_integrations.tracing_plugins.base.server import ServerPlugin
from ddtrace_integrations.tracing_plugins.base.tracing import SPAN

WEB = "web_context"
RESPONSE = "web_response"
INITIAL_RESOURCE = "initial_resource"


class RouterPlugin(ServerPlugin):
    service_at_start = True
    # Some frameworks leave a resource the application set on the request span (e.g. Django's).
    keep_user_resource: ClassVar[bool] = False

    def operation_name(self) -> str:
        return dd.schematize_url_operation(
            f"{self.package}.request", protocol="http", direction=dd.SpanDirection.INBOUND
        )

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        web: WebContext = ctx.get_item(WEB)
        resource = f"{web.method} {web.path}"
        span = self.start_inbound_span(ctx, self.operation_name(), web.headers, resource=resource)
        if span is None:
            return
        ctx.set_item(INITIAL_RESOURCE, resource)
        if web.tags:
            span.set_tags(web.tags)
        dd.set_http_meta(
            span,
            self.integration_config,
            method=web.method,
            url=web.url,
            query=web.query,
            parsed_query=web.query_params,
            request_headers=web.headers,
            request_cookies=dict(web.cookies),
            peer_ip=web.peer_ip,
        )

    def resource(self, web: WebContext) -> Optional[str]:
        return web.resource or (f"{web.method} {web.route}" if web.route else None)

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        """Route and response: frameworks know them only after the request span started."""
        span = ctx.get_item(SPAN)
        if span is not None:
            web: WebContext = ctx.get_item(WEB)
            response: Optional[WebResponseContext] = ctx.get_item(RESPONSE)
            resource = self.resource(web)
            if resource and not (self.keep_user_resource and span.resource != ctx.get_item(INITIAL_RESOURCE)):
                span.resource = resource
            if web.tags:
                span.set_tags(web.tags)
            dd.set_http_meta(
                span,
                self.integration_config,
                status_code=response.status_code if response else None,
                status_msg=response.status_msg if response else None,
                response_headers=response.headers if response else None,
                request_path_params=web.path_params,
                route=web.route,
            )
        super().on_finish(ctx, exc_info)
