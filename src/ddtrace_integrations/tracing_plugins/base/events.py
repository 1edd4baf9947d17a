"""Typed event contexts: the contract between publishers (``auto/``) and plugins."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple

# slots=True needs Python 3.10; on 3.9 the contexts are plain dataclasses.
_slots: Dict[str, Any] = {"slots": True} if sys.version_info >= (3, 10) else {}


@dataclass(**_slots)
class DatabaseContext:
    db_system: str
    query: Any = None
    host: Optional[str] = None
    port: Optional[int] = None
    user: Optional[str] = None
    database: Optional[str] = None
    # The driver method behind a fetch or connection event ("fetchmany", "commit"); it names the span.
    method: Optional[str] = None
    # The publisher says whether this call's query may carry a DBM comment (never prepared statements).
    dbm_injectable: bool = False
    # A statement the server or driver caches by its text (prepared): its comment carries no per-trace data.
    prepared: bool = False
    # Set by DatabasePlugin; the publisher hands it to the driver instead of ``query``.
    commented_query: Any = None
    rowcount: Optional[int] = None
    tags: Dict[str, Any] = field(default_factory=dict)


@dataclass(**_slots)
class HTTPClientContext:
    method: str
    url: str  # scheme://host[:port]/path[?query], never userinfo; the plugin obfuscates the query
    target_host: Optional[str] = None
    target_port: Optional[int] = None
    # The request headers as sent (the publisher updates them once propagation headers are merged in).
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Optional[str] = None
    # Called with the propagation headers; the publisher merges them into a copy of the request headers.
    inject_headers: Optional[Callable[[Dict[str, str]], None]] = None
    tags: Dict[str, Any] = field(default_factory=dict)


@dataclass(**_slots)
class HTTPClientResponseContext:
    status_code: Optional[int]
    headers: Mapping[str, str] = field(default_factory=dict)
    status_msg: Optional[str] = None


@dataclass(**_slots)
class WebContext:
    method: str
    url: str
    path: str
    route: Optional[str] = None
    headers: Mapping[str, str] = field(default_factory=dict)
    query_params: Mapping[str, str] = field(default_factory=dict)
    path_params: Mapping[str, Any] = field(default_factory=dict)
    tags: Dict[str, Any] = field(default_factory=dict)


@dataclass(**_slots)
class WebResponseContext:
    status_code: Optional[int]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(**_slots)
class MessagingContext:
    messaging_system: str
    destination: Optional[str]
    operation: str
    host: Optional[str] = None
    port: Optional[int] = None
    message_id: Optional[str] = None
    partition: Optional[int] = None
    offset: Optional[int] = None
    # One carrier per message (a batch consume has several); the consumer links or parents to each.
    headers: List[Mapping[str, str]] = field(default_factory=list)
    inject_headers: Optional[Callable[[Dict[str, str]], None]] = None
    tags: Dict[str, Any] = field(default_factory=dict)


ExcInfo = Tuple[Optional[type], Optional[BaseException], Any]
