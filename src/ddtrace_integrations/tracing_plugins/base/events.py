"""Typed event contexts: the contract between publishers (``auto/``) and plugins."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
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
    # Set on the span as they are. None rather than a new empty dict: a context is made for every query.
    tags: Optional[Dict[str, Any]] = None
    # A PEP 249 cursor: where ``rowcount`` is not set, the plugin reads the cursor's when the call ends (as a
    # publisher's ``done`` would, without a call of its own on every query).
    cursor: Any = None


@dataclass(**_slots)
class StorageContext:
    """A call to a store that is not a SQL database (a key-value store, a cache, a document store): a command,
    not a query, so no SQL naming and no DBM comment."""

    db_system: str
    command: Optional[str] = None  # the operation ("GET", "HSET", "find"): the span's resource by default
    # The resource when it is not the command alone (the command with its arguments, a pipeline's commands).
    resource: Optional[str] = None
    # The command with its arguments as the integration shows them (it truncates and leaves out values it must
    # not show), tagged under the plugin's ``raw_command_tag``.
    raw_command: Optional[str] = None
    host: Optional[str] = None
    port: Optional[int] = None
    user: Optional[str] = None
    # A named namespace (a document store's database): ``db.name``, which names peer.service before the host.
    database: Optional[str] = None
    # A numbered one (a Redis database index), tagged under the plugin's ``database_index_tag``.
    database_index: Optional[int] = None
    # The store's own tags that every command on one connection shares (a Redis client name), as hashable pairs:
    # the plugin builds their tags once per connection, with the address's.
    connection_tags: Tuple[Tuple[str, Any], ...] = ()
    rowcount: Optional[int] = None  # set by the publisher's ``done``: ``db.row_count``
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
    resource: Optional[str] = None  # None: the tracer names it after the span (ddtrace's httpx); "GET /path" (requests)
    # The headers ``inject_headers`` collected, which the publisher sends on a copy of the request.
    injected: Optional[Dict[str, str]] = None


@dataclass(**_slots)
class HTTPClientResponseContext:
    status_code: Optional[int]
    headers: Mapping[str, str] = field(default_factory=dict)
    status_msg: Optional[str] = None


@dataclass(**_slots)
class WebContext:
    method: str
    url: str  # scheme://host[:port]/path, without the query
    path: str
    # Set by the publisher once the framework matched the request (often after the span started).
    route: Optional[str] = None
    # Answers lower-case names: the framework's case-insensitive headers, or a dict with lower-cased keys.
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Any = None  # the raw query string (str or bytes, as the framework has it); the plugin obfuscates it
    query_params: Mapping[str, Any] = field(default_factory=dict)
    path_params: Mapping[str, Any] = field(default_factory=dict)
    peer_ip: Optional[str] = None
    cookies: Mapping[str, str] = field(default_factory=dict)
    # Names the request span's resource ("GET /users/<int:uid>") where the framework has its own rule.
    resource: Optional[str] = None
    tags: Dict[str, Any] = field(default_factory=dict)
    # An application mounted in a traced one, on the same request: its span is the outer span's child (no
    # distributed context, client IP or parsed query of its own).
    nested: bool = False
    # A websocket handshake (``method`` is then "websocket", the resource's prefix): no HTTP method, and the
    # span ends once the connection is accepted; the connection's messages are ``WebSocketMessage`` events.
    websocket: bool = False


@dataclass(eq=False)
class WebSocketConnection:
    """One websocket connection as one traced application sees it (a mounted one sees it too, with a
    handshake span of its own): what its messages' spans need."""

    handshake: Any  # this application's handshake context: its span, once it ended too
    path: str
    client: Any = None  # the ASGI scope's ``client`` (host, port), as the server gave it
    # Shared by the traced applications nested on the connection's scope, as ddtrace keeps it in the scope:
    # ``received``, the context of the last receive that returned a message, until a close or a disconnect
    # (what a later send or close answers); plugins' counters.
    state: Dict[str, Any] = field(default_factory=dict)


@dataclass(**_slots)
class WebSocketMessage:
    """A receive (its ``message`` known once it returns), a send or a close of a websocket connection."""

    connection: WebSocketConnection
    message: Optional[Mapping[str, Any]] = None


@dataclass(**_slots)
class WebResponseContext:
    status_code: Optional[int]
    headers: Mapping[str, str] = field(default_factory=dict)
    status_msg: Optional[str] = None


@dataclass(**_slots)
class InternalContext:
    """A span for work inside a framework (a hook, a view, a template): its name says what it is."""

    name: str
    resource: Optional[str] = None
    span_type: Optional[str] = None
    # Exceptions the framework turns into responses (e.g. NotFound) that do not make this span an error.
    ignored: Tuple[type, ...] = ()
    # None until a tag is added (``set_tag``): a framework makes several of these contexts per request.
    tags: Optional[Dict[str, Any]] = None
    inherit_service: bool = False  # the span takes its parent's service (e.g. a template render)
    service_source: bool = True  # False: ``_dd.svc_src`` is left to the tracer, as some ddtrace spans do

    def set_tag(self, key: str, value: Any) -> None:
        if self.tags is None:
            self.tags = {}
        self.tags[key] = value


@dataclass(**_slots)
class Message:
    """One message sent or received: where it goes or came from, and what Data Streams weighs."""

    destination: Optional[str]
    partition: Optional[int] = None
    offset: Optional[int] = None
    key: Any = None
    value: Any = None
    headers: Any = None  # as the client holds them: a mapping or (name, value) pairs, text or bytes values

    def carrier(self) -> Dict[str, str]:
        """The headers as text, for extraction (empty when there are none or they cannot be read)."""
        if not self.headers:
            return {}
        try:
            pairs: Iterable[Any] = self.headers.items() if isinstance(self.headers, Mapping) else self.headers
            return {
                str(name): value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
                for name, value in pairs
                if value is not None
            }
        except (TypeError, ValueError):
            return {}


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
    # The message sent, or those received (a batch has several): the consumer links or parents to each.
    messages: List[Message] = field(default_factory=list)
    batch: bool = False  # a receive call that returns many messages: always linked to each producer
    inject_headers: Optional[Callable[[Dict[str, str]], None]] = None
    # Set by a plugin that wants the broker's acknowledgement of a sent message, which may come after
    # the span ended; the publisher calls it (guarded) once ``partition`` and ``offset`` are known.
    on_acknowledged: Optional[Callable[[], None]] = None
    tags: Dict[str, Any] = field(default_factory=dict)
    # The headers ``inject_headers`` collected, which the publisher sends on a copy of the caller's.
    injected: Optional[Dict[str, str]] = None
    # Set by ConsumerPlugin when a receive call starts: its span, made when the call returns, starts then.
    started_ns: Optional[int] = None


@dataclass(**_slots)
class KafkaContext(MessagingContext):
    """What every Kafka client can tell; a consume reports its first message, as ddtrace does."""

    bootstrap_servers: Optional[str] = None
    cluster_id: Optional[str] = None
    group_id: Optional[str] = None
    key: Any = None
    tombstone: Optional[bool] = None  # the message has no value
    received: Optional[bool] = None  # a consume call returned messages
    auto_commit: bool = False  # the consumer commits what it received by itself


ExcInfo = Tuple[Optional[type], Optional[BaseException], Any]
