"""httpx publisher: one event per ``Client.send`` / ``AsyncClient.send`` (redirects and auth flows included).

Propagation headers are sent on a copy of the request: the caller's ``Request`` is never modified.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import Tuple

from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.publisher import traced_async
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientContext
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientResponseContext

supported_versions = {"httpx": ">=0.25"}
publisher = Publisher("httpx")


def _url(url: Any) -> str:
    """scheme://host[:port]/path?query from the raw parts: userinfo and fragment never appear; the query
    is obfuscated or dropped by the plugin, as configured."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.raw_scheme.decode()}://{url.raw_host.decode()}{port}{url.raw_path.decode()}"


def _build(client: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    request = argument(args, kwargs, 0, "request")
    url = request.url
    injected: Dict[str, str] = {}
    http = HTTPClientContext(
        request.method,
        _url(url),
        target_host=url.host,
        target_port=url.port,
        headers=request.headers,
        query=url.query.decode(),
        inject_headers=injected.update,
    )
    return {"http_context": http, "injected": injected}


def _with_propagation(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    injected = ctx.get_item("injected")
    if not injected:
        return args, kwargs
    request = argument(args, kwargs, 0, "request")
    headers = _with_injected(request.headers, injected)
    sent = type(request)(
        request.method, request.url, headers=headers, stream=request.stream, extensions=request.extensions
    )
    if hasattr(request, "_content"):  # a body already read stays readable on the copy
        sent._content = request._content
    ctx.get_item("http_context").headers = sent.headers
    return replace_argument(args, kwargs, 0, "request", sent)


def _with_injected(headers: Any, injected: Dict[str, str]) -> Any:
    """A copy of ``headers`` updated with ``injected`` as ``Headers.update`` does (a name already there is removed,
    the new values come last), made in one step: ``copy()`` then ``update()`` re-encode and rescan every header."""
    added = type(headers)(injected).raw
    names = {name.lower() for name, _ in added}
    kept = [pair for pair in headers.raw if pair[0].lower() not in names]
    return type(headers)(kept + added, encoding=headers.encoding)


def _response(ctx: Any, response: Any) -> None:
    if response is not None:
        ctx.set_item("http_response", HTTPClientResponseContext(response.status_code, response.headers))


def patch(httpx: ModuleType) -> None:
    publisher.pin(httpx)
    send = Event("httpx.send", _build, pin_source=httpx, rewrite=_with_propagation, done=_response)
    publisher.wrap(httpx.Client, "send", traced(send))
    publisher.wrap(httpx.AsyncClient, "send", traced_async(send))


def unpatch(httpx: ModuleType) -> None:
    publisher.unwrap_all()
