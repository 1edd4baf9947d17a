"""aiohttp client publisher: ``ClientSession._request`` and the connector's ``connect``.

The URL is resolved against the session's ``base_url`` and ``params=`` are merged into the query, as
aiohttp sends it. Propagation headers go into a copy of the caller's headers (any shape aiohttp accepts).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import Tuple

from multidict import CIMultiDict  # aiohttp's own dependencies: this module is imported once aiohttp is
from yarl import URL

from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientContext
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientResponseContext

supported_versions = {"aiohttp": ">=3.7"}
publisher = Publisher("aiohttp")


def _request_items(session: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    url = URL(str(argument(args, kwargs, 1, "str_or_url")))
    base_url = getattr(session, "_base_url", None)
    if base_url is not None:
        url = base_url.join(url)
    params = kwargs.get("params")
    sent = url.update_query(params) if params else url
    injected: Dict[str, str] = {}
    http = HTTPClientContext(
        argument(args, kwargs, 0, "method"),
        str(url),
        target_host=sent.host,
        target_port=sent.port,
        headers=CIMultiDict(kwargs.get("headers") or {}),
        query=sent.query_string,
        inject_headers=injected.update,
        injected=injected,
    )
    return {"http_context": http}


def _with_propagation(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    injected = ctx.get_item("http_context").injected
    if not injected:
        return args, kwargs
    headers = ctx.get_item("http_context").headers  # already the publisher's own copy
    headers.update(injected)
    return args, {**kwargs, "headers": headers}


def _response(ctx: Any, response: Any) -> None:
    if response is not None:
        http_response = HTTPClientResponseContext(response.status, response.headers, response.reason)
        ctx.set_item("http_response", http_response)


def _connect_items(connector: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    return {"operation_name": f"{type(connector).__name__}.connect"}


def patch(aiohttp: ModuleType) -> None:
    publisher.pin(aiohttp)
    request = Event(
        "aiohttp_client.request", _request_items, pin_source=aiohttp, rewrite=_with_propagation, done=_response
    )
    publisher.wrap(aiohttp.ClientSession, "_request", traced_async(request))
    connect = Event("aiohttp.connect", _connect_items, pin_source=aiohttp)
    publisher.wrap(aiohttp.BaseConnector, "connect", traced_async(connect))


def unpatch(aiohttp: ModuleType) -> None:
    publisher.unwrap_all()
