"""RouterPlugin: web framework requests, named after the matched route."""

from __future__ import annotations

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import WebContext
from ddtrace_integrations.tracing_plugins.base.events import WebResponseContext
from ddtrace_integrations.tracing_plugins.base.server import ServerPlugin
from ddtrace_integrations.tracing_plugins.base.tracing import SPAN


class RouterPlugin(ServerPlugin):
    def operation_name(self) -> str:
        return dd.schematize_url_operation(
            f"{self.package}.request", protocol="http", direction=dd.SpanDirection.INBOUND
        )

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        web: WebContext = ctx.get_item("web_context")
        span = self.start_inbound_span(ctx, self.operation_name(), web.headers, resource=self.resource(web))
        if span is None:
            return
        dd.set_http_meta(
            span,
            self.integration_config,
            method=web.method,
            url=web.url,
            route=web.route,
            request_headers=web.headers,
        )
        if web.tags:
            span.set_tags(web.tags)

    def resource(self, web: WebContext) -> str:
        return f"{web.method} {web.route or web.path}"

    def on_finish(self, ctx: dd.ExecutionContext, exc_info: ExcInfo) -> None:
        span = ctx.get_item(SPAN)
        web: WebContext = ctx.get_item("web_context")
        response: WebResponseContext = ctx.get_item("web_response")
        if span is not None:
            if web.route:  # frameworks often match the route only after the request started
                span.resource = self.resource(web)
                dd.set_attribute(span, "http.route", web.route)
            for name, value in web.path_params.items():
                span.set_tag(f"{self.package}.view_args.{name}", value)
            if response is not None:
                dd.set_http_meta(
                    span, self.integration_config, status_code=response.status_code, response_headers=response.headers
                )
        super().on_finish(ctx, exc_info)
