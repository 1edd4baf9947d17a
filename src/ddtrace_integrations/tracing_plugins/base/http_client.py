"""HTTPClientPlugin: what every HTTP client shares, written once on ClientPlugin.

Span naming (``http.request`` under v0, ``http.client.request`` under v1), split-by-domain services,
propagation headers handed back to the publisher (which sends them on a copy of the request), and the
http tags (URL with ddtrace's query obfuscation, status and error status codes, user agent, header tags).
"""

from __future__ import annotations

import functools
from typing import Any
from typing import ClassVar
from typing import Dict
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.client import ClientPlugin
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientContext
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientResponseContext


class HTTPClientPlugin(ClientPlugin):
    type = "http"
    measured = True
    service_at_start = True
    # The span name under schema v0; v1 names every HTTP client span http.client.request.
    http_operation: ClassVar[str] = "http.request"
    # DD_<LIB>_SPLIT_BY_DOMAIN names the service host:port, or the host alone for some clients.
    split_with_port: ClassVar[bool] = True

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        http: HTTPClientContext = dd.context_items(ctx)["http_context"]
        config = self.integration_config
        span = self.start_span(ctx, self.span_name, resource=http.resource, service=self.domain_service(http, config))
        if span is not None and http.inject_headers is not None and dd.setting(config, "distributed_tracing"):
            headers: Dict[str, str] = {}
            dd.HTTPPropagator.inject(span.context, headers)
            http.inject_headers(headers)

    @functools.cached_property
    def span_name(self) -> str:
        """``http_operation`` under the span attribute schema, which ddtrace reads once, when it starts."""
        return dd.schematize_url_operation(self.http_operation, protocol="http", direction=dd.SpanDirection.OUTBOUND)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        http: HTTPClientContext = dd.context_items(ctx)["http_context"]
        response: Optional[HTTPClientResponseContext] = dd.context_items(ctx).get("http_response")
        dd.set_http_meta(
            span,
            self.integration_config,
            method=http.method,
            url=http.url,
            target_host=http.target_host,
            status_code=response.status_code if response else None,
            status_msg=response.status_msg if response else None,
            query=http.query,
            request_headers=http.headers,
            response_headers=response.headers if response else None,
        )
        super().finish_span(ctx, span, exc_info)

    def domain_service(self, http: HTTPClientContext, config: Any) -> Optional[str]:
        if not dd.setting(config, "split_by_domain") or not http.target_host:
            return None
        if self.split_with_port and http.target_port:
            return f"{http.target_host}:{http.target_port}"
        return http.target_host
