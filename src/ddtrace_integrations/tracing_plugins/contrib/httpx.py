"""httpx: one client span per send, as ddtrace's httpx integration."""

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.http_client import HTTPClientPlugin


class HttpxPlugin(HTTPClientPlugin):
    package = "httpx"
    operation = "send"
    config_defaults = dd.http_client_settings("httpx")
