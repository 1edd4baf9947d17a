"""httpx publisher: one event per ``Client.send`` / ``AsyncClient.send`` (redirects and auth flows included).

Propagation headers are sent on a copy of the request: the caller's ``Request`` is never modified.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import FrozenSet
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import shallow_copy
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientContext
from ddtrace_integrations.tracing_plugins.base.events import HTTPClientResponseContext

supported_versions = {"httpx": ">=0.25"}
publisher = Publisher("httpx")


def _build(client: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    """The request's method, its URL as scheme://host[:port]/path?query from the raw parts (userinfo and fragment
    never appear; the plugin obfuscates or drops the query, as configured), host, port, headers and query, given by
    position: a dataclass's keyword arguments cost a name match each."""
    request = args[0] if args else kwargs["request"]
    url = request.url
    port = url.port
    address = f"{url.raw_scheme.decode()}://{url.raw_host.decode()}{'' if port is None else f':{port}'}"
    injected: Dict[str, str] = {}
    http = HTTPClientContext(
        request.method,
        address + url.raw_path.decode(),
        url.host,
        port,
        request.headers,
        url.query.decode(),
        injected.update,
        {},
        None,
        injected,
    )
    return {"http_context": http}


def _with_propagation(ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    items = dd.context_items(ctx)
    injected = items["http_context"].injected
    if not injected:
        return args, kwargs
    request = args[0] if args else kwargs["request"]
    sent = _copy(request, _with_injected(request.headers, injected))
    items["http_context"].headers = sent.headers
    return replace_argument(args, kwargs, 0, "request", sent)


def _copy(request: Any, headers: Any) -> Any:
    """A shallow copy of ``request`` sending ``headers``: its attributes (stream, body already read, extensions)
    are the caller's, without ``Request.__init__``, which parses the URL and copies the headers once more."""
    sent = shallow_copy(request)
    sent.headers = headers
    sent.extensions = dict(request.extensions)
    return sent


# The entries of a set of propagation header names: (raw name, lower-case raw name) of each, in order, and the set
# of lower-case names. The names are the same on every request; their values are not.
_entries: Dict[Tuple[str, ...], Tuple[Tuple[Tuple[bytes, bytes], ...], FrozenSet[bytes]]] = {}


def _with_injected(headers: Any, injected: Dict[str, str]) -> Any:
    """A copy of ``headers`` updated with ``injected`` as ``Headers.update`` does (a name already there is removed,
    the new values come last). Made on httpx's own list of (name, lower-case name, value) entries: building
    Headers from pairs re-encodes every header, and ``update`` rescans the list for every name. The propagation
    headers are ASCII text (their UTF-8 bytes are their ASCII bytes), which every encoding httpx detects reads as
    itself: the copy keeps the original's encoding."""
    key = tuple(injected)
    entries = _entries.get(key)
    if entries is None:
        if len(_entries) >= 64:  # a few sets of names in a process; anything else must not accumulate
            _entries.clear()
        raw = tuple((name.encode("ascii"), name.encode("ascii").lower()) for name in key)
        entries = _entries[key] = (raw, frozenset(lower for _, lower in raw))
    raw, names = entries
    added = [(name, lower, value.encode()) for (name, lower), value in zip(raw, injected.values())]
    copy = shallow_copy(headers)  # the class and encoding of the caller's headers, the entry list made below
    copy._list = [entry for entry in headers._list if entry[1] not in names] + added
    return copy


def _response(ctx: Any, response: Any) -> None:
    if response is not None:
        dd.context_items(ctx)["http_response"] = HTTPClientResponseContext(response.status_code, response.headers)


def patch(httpx: ModuleType) -> None:
    publisher.pin(httpx)
    send = Event("httpx.send", _build, pin_source=httpx, rewrite=_with_propagation, done=_response)
    publisher.wrap_method(httpx.Client, "send", send)
    publisher.wrap_method(httpx.AsyncClient, "send", send)


def unpatch(httpx: ModuleType) -> None:
    publisher.unwrap_all()
