"""requests publisher: one event per ``Session.send``, whatever transport adapter the session mounted.

A redirect is sent by ``Session.send`` again (from ``resolve_redirects``): one event per hop, nested in the
first, as ddtrace traces them. Propagation headers are sent on a copy of the prepared request: the caller's
``PreparedRequest`` and its headers are never modified.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any
from typing import Dict
from typing import Optional
from typing import Tuple
from urllib.parse import urlparse
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from ddtrace_integrations.api import Args
from ddtrace_integrations.api import Event
from ddtrace_integrations.api import ExecutionContext
from ddtrace_integrations.api import HTTPClientContext
from ddtrace_integrations.api import HTTPClientResponseContext
from ddtrace_integrations.api import Kwargs
from ddtrace_integrations.api import Publisher
from ddtrace_integrations.api import replace_argument
from ddtrace_integrations.api import shallow_copy

supported_versions = {"requests": ">=2.25.1"}
publisher = Publisher("requests")

# requests' case-insensitive headers class, known once requests is patched (a publisher never imports its library)
_Headers: Any = None
_Parts = Tuple[str, Optional[str], Optional[int], str, str]


def _parse(url: str) -> _Parts:
    """(url without userinfo or fragment, host, explicit port, path, query), read as ddtrace reads them: the path
    without ``;params`` (the resource). A fragment is never sent, and may hold a token (OAuth's implicit flow)."""
    url = url.split("#", 1)[0]
    if "@" in url:
        parts = urlsplit(url)
        if "@" in parts.netloc:  # the last "@" ends the userinfo (a raw "@" in a password included)
            url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:  # out of range: requests refuses it before sending, unless the URL was set by hand
        port = None
    start = url.find("?") + 1
    return url, parsed.hostname, port, parsed.path, url[start:] if start else ""


# A client calls the same few URLs: each is parsed once (long ones, such as 64 KiB query strings, every time).
_parse_cached = functools.lru_cache(maxsize=256)(_parse)


def _build(session: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    request = args[0] if args else kwargs["request"]
    url = request.url
    url, host, port, path, query = _parse_cached(url) if len(url) <= 2048 else _parse(url)
    method = request.method.upper() if request.method is not None else ""
    injected: Dict[str, str] = {}
    # by position (method, url, target_host, target_port, headers, query, inject_headers, tags, resource,
    # injected): a dataclass's keyword arguments cost a name match each
    http = HTTPClientContext(
        request.method, url, host, port, request.headers, query, injected.update, {}, f"{method} {path}", injected
    )
    return {"http_context": http}


def _with_propagation(ctx: ExecutionContext, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    injected = ctx.get_item("http_context").injected
    if not injected:
        return args, kwargs
    request = args[0] if args else kwargs["request"]
    sent = shallow_copy(request)  # the cookie jar and hooks shared, as when untraced
    sent.headers = _with_injected(request.headers, injected)
    ctx.get_item("http_context").headers = sent.headers
    return replace_argument(args, kwargs, 0, "request", sent)


# The lower-case names of a set of propagation header names, in order: the same on every request.
_lower: Dict[Tuple[str, ...], Tuple[str, ...]] = {}


def _with_injected(headers: Any, injected: Dict[str, str]) -> Any:
    """A copy of ``headers`` updated with ``injected``, case-insensitively (a stale trace header of the caller's is
    replaced). requests' own headers are copied as the mapping of lower-case names they keep, in one step: their
    constructor, ``copy`` and ``update`` set every header through Python methods."""
    if type(headers) is _Headers:
        key = tuple(injected)
        lower = _lower.get(key)
        if lower is None:
            if len(_lower) >= 64:  # a few sets of names in a process; anything else must not accumulate
                _lower.clear()
            lower = _lower[key] = tuple(name.lower() for name in key)
        copy = object.__new__(_Headers)
        store = copy._store = headers._store.copy()
        for name, item in zip(lower, injected.items()):
            store[name] = item
        return copy
    copy = headers.copy()  # headers of another type, set on the request by hand
    copy.update(injected)
    return copy


def _response(ctx: ExecutionContext, response: Any) -> None:
    if response is not None:
        http_response = HTTPClientResponseContext(response.status_code, response.headers, response.reason)
        ctx.set_item("http_response", http_response)


def patch(requests: ModuleType) -> None:
    global _Headers
    _Headers = requests.structures.CaseInsensitiveDict
    publisher.pin(requests)
    send = Event("requests.send", _build, pin_source=requests, rewrite=_with_propagation, done=_response)
    publisher.wrap_method(requests.Session, "send", send)


def unpatch(requests: ModuleType) -> None:
    publisher.unwrap_all()
