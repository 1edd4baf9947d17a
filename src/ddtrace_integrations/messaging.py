"""Publisher helpers shared by the message-queue clients: header carriers, read and written as copies."""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import Iterable
from typing import Mapping
from typing import Optional


def carrier(headers: Any) -> Optional[Dict[str, str]]:
    """A message's headers (a mapping or ``(name, value)`` pairs, values bytes or text) as text, for
    extraction; None when there are none or they cannot be read."""
    if not headers:
        return None
    try:
        pairs: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
        return {
            str(name): value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
            for name, value in pairs
            if value is not None
        }
    except (TypeError, ValueError):
        return None


def with_headers(headers: Any, added: Mapping[str, str], *, as_bytes: bool) -> Any:
    """A new header collection: the caller's (mapping, pairs or None) followed by ``added``. The caller's
    object is never modified; pairs stay pairs, so repeated names keep their order."""
    extra = [(name, value.encode("utf-8") if as_bytes else value) for name, value in added.items()]
    if isinstance(headers, Mapping):
        return {**headers, **dict(extra)}
    return [*(headers or ()), *extra]
