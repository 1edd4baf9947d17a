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
from ddtrace_integrations.publisher import shallow_copy
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
    sent = _copy(request, _with_injected(request.headers, injected))
    ctx.get_item("http_context").headers = sent.headers
    return replace_argument(args, kwargs, 0, "request", sent)


def _copy(request: Any, headers: Any) -> Any:
    """A shallow copy of ``request`` sending ``headers``: its attributes (stream, body already read, extensions)
    are the caller's, without ``Request.__init__``, which parses the URL and copies the headers once more."""
    sent = shallow_copy(request)
    sent.headers = headers
    sent.extensions = dict(request.extensions)
    return sent


def _with_injected(headers: Any, injected: Dict[str, str]) -> Any:
    """A copy of ``headers`` updated with ``injected`` as ``Headers.update`` does (a name already there is removed,
    the new values come last). Made on httpx's own list of (name, lower-case name, value) entries: building
    Headers from pairs re-encodes every header, and ``update`` rescans the list for every name. The propagation
    headers are ASCII, which is how httpx encodes headers given as text."""
    added = []
    for name, value in injected.items():
        raw = name.encode("ascii")
        added.append((raw, raw.lower(), value.encode("ascii")))
    names = {entry[1] for entry in added}
    copy = type(headers)(headers)  # copies the entry list; its encoding is worked out again when first needed
    copy._list = [entry for entry in copy._list if entry[1] not in names] + added
    return copy


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
