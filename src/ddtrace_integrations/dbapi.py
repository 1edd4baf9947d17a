"""The DB-API 2 publisher layer, written once for every driver.

A driver declares how to read its connections (``Driver``); this layer wraps cursor and connection
methods and publishes ``{package}.execute`` (execute, executemany, callproc), ``{package}.fetch``
(fetchone, fetchmany, fetchall, only while the integration's ``trace_fetch_methods`` is on) and
``{package}.connection`` (commit, rollback). Methods are wrapped in place on the driver's classes;
``traced_class`` exists for drivers whose C types cannot be patched (psycopg2, sqlite3).
"""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

import wrapt

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import Wrapper
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced_member
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext

log = dd.get_logger(__name__)

_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes defined in Python, whose instances may change class ...
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE (3.10+): ... unless immutable, as C modules' heap types are
EXECUTE = ("execute", "executemany", "callproc")
FETCH = ("fetchone", "fetchmany", "fetchall")
TRANSACTION = ("commit", "rollback")

# What a driver reads from a connection, as DatabaseContext fields: host, port, user, database, tags.
ConnectionInfo = Dict[str, Any]


def defining(module: ModuleType, methods: Tuple[str, ...] = EXECUTE + FETCH) -> List[type]:
    """The classes ``module`` defines that define one of ``methods`` themselves."""
    return [
        cls
        for cls in vars(module).values()
        if isinstance(cls, type) and cls.__module__ == module.__name__ and any(m in vars(cls) for m in methods)
    ]


def _cursor_connection(cursor: Any) -> Any:
    return cursor.connection


@dataclass(frozen=True)
class Driver:
    package: str  # event prefix and ddtrace.config name
    system: str  # db.system
    # connection -> its DatabaseContext fields; None: the driver has none to read (sqlite3), nothing is looked up
    info: Optional[Callable[[Any], ConnectionInfo]]
    pin_source: Any = None  # the module carrying the Pin
    connection_of: Callable[[Any], Any] = _cursor_connection
    query_keyword: str = "query"
    # Whether an execute runs a statement cached by its text: its DBM comment then carries no traceparent. Asked of
    # each call (``prepared``), or once per cursor class (``prepared_class``: a driver's prepared-statement cursors).
    prepared: Optional[Callable[[Any, Args, Kwargs], bool]] = None
    prepared_class: Optional[Callable[[type], bool]] = None
    # Whether its queries may carry a DBM comment (ddtrace's sqlite3 integration has no DBM propagation).
    dbm: bool = True


@dataclass(frozen=True)
class _Connection:
    """A connection's DatabaseContext fields, read once (``Driver.info``) and shared by its calls' contexts."""

    host: Optional[str] = None
    port: Optional[int] = None
    user: Optional[str] = None
    database: Optional[str] = None
    tags: Optional[Dict[str, Any]] = None


_UNKNOWN = _Connection()


class DbApiPublisher(Publisher):
    def __init__(self, driver: Driver) -> None:
        super().__init__(driver.package)
        self.driver = driver
        # connection info by connection id, beside a weak reference that tells the connection is the same one and
        # drops the entry with it (a WeakKeyDictionary's lookup is a Python call, and makes a weak reference)
        self._infos: Dict[int, Tuple[weakref.ref, _Connection]] = {}
        self._plain_cursors = driver.connection_of is _cursor_connection  # read ``cursor.connection`` in place
        self._last_query: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._subclasses: Dict[type, type] = {}  # base -> traced subclass, and each traced subclass -> itself
        self._prepared_classes: Dict[type, bool] = {}  # cursor class -> ``Driver.prepared_class``
        name = driver.package
        comment = self._with_comment if driver.dbm else None
        self.events = {
            "execute": self._event(f"{name}.execute", self._execute_items, rewrite=comment),
            "executemany": self._event(f"{name}.execute", self._executemany_items, rewrite=comment),
            "executescript": self._event(f"{name}.execute", self._executescript_items),
            "callproc": self._event(f"{name}.execute", self._callproc_items),
            **{m: self._event(f"{name}.fetch", self._fetch_items(m)) for m in FETCH},
            **{m: self.connection_event(m) for m in TRANSACTION},
        }

    def _event(self, name: str, build: Any, rewrite: Any = None) -> Event:
        """A cursor method's event, exclusive on the cursor's connection. No ``done``: its context holds the cursor,
        whose rowcount the plugin reads."""
        return Event(name, build, pin_source=self.driver.pin_source, rewrite=rewrite, exclusive=self._connection)

    def _connection(self, cursor: Any) -> Any:
        """What a cursor call holds: its connection, so that the driver's own statements inside one
        call (callproc's SET and CALL, executemany's rows) are not spans of their own (``_items``)."""
        try:
            return cursor.connection if self._plain_cursors else self.driver.connection_of(cursor)
        except Exception:
            return cursor

    # --- installing ---

    def method(self, method: str, original: Any) -> Any:
        """What replaces the driver's method ``method`` (``original``): a plain function publishing its event, or a
        wrapt wrapper for a coroutine function (see ``Publisher.wrap_method``)."""
        return traced_member(self.events[method], original)

    def wrap_methods(self, *classes: type, methods: Tuple[str, ...] = EXECUTE + FETCH, inherited: bool = False) -> None:
        """Wrap each method a class defines itself (or, ``inherited``, also those it inherits from a C base);
        an override calling its base stays one event."""
        for cls in classes:
            for method in methods:
                original = getattr(cls, method, None) if inherited else vars(cls).get(method)
                if original is not None:
                    self.wrap_method(cls, method, self.events[method])

    def connection_event(self, method: str) -> Event:
        """``{package}.connection`` for a connection method (commit, rollback, a driver's own extras)."""
        build = self._connection_items(method)
        return Event(f"{self.package}.connection", build, pin_source=self.driver.pin_source)

    def traced_class(self, base: type, methods: Tuple[str, ...], **wrappers: Wrapper) -> type:
        """The subclass of ``base`` whose ``methods`` publish (and ``wrappers`` wrap further methods),
        made once per base, for C types that cannot be wrapped in place. It adds no slots and keeps the
        name and module, so an instance of ``base`` may be given it through ``__class__`` (``adopt``)."""
        cls = self._subclasses.get(base)
        if cls is None:
            namespace: Dict[str, Any] = {
                "__slots__": (),
                "__module__": base.__module__,
                "__qualname__": base.__qualname__,
            }
            for method in methods:
                original = getattr(base, method, None)
                if original is not None:
                    namespace[method] = self.method(method, original)
            for method, wrapper in wrappers.items():
                namespace[method] = wrapt.FunctionWrapper(getattr(base, method), wrapper)
            cls = type(base.__name__, (base,), namespace)
            self._subclasses[base] = self._subclasses[cls] = cls
        return cls

    def adopt(self, obj: Any, methods: Tuple[str, ...], **wrappers: Wrapper) -> Any:
        """``obj``, built by someone else's factory, given the traced subclass of its class. Instances of
        C types (static, or immutable heap types) cannot change class and are returned as they are."""
        cls = type(obj)
        flags = cls.__flags__
        if flags & _HEAP_TYPE and not flags & _IMMUTABLE_TYPE and self._subclasses.get(cls) is not cls:
            obj.__class__ = self.traced_class(cls, methods, **wrappers)
        return obj

    # --- connection info, read once per connection ---

    def info(self, connection: Any) -> _Connection:
        if self.driver.info is None:
            return _UNKNOWN
        entry = self._infos.get(id(connection))
        if entry is not None and entry[0]() is connection:
            return entry[1]
        info = self._read_info(connection)
        key = id(connection)
        with contextlib.suppress(TypeError):  # not weakly referenceable: read it every time
            self._infos[key] = (weakref.ref(connection, lambda _: self._infos.pop(key, None)), info)
        return info

    def _read_info(self, connection: Any) -> _Connection:
        try:
            return _Connection(**self.driver.info(connection))  # type: ignore[misc]  # None is answered in info
        except Exception:
            log.debug("%s: connection tags unavailable", self.package, exc_info=True)
            return _UNKNOWN

    def _items(
        self,
        cursor: Any,
        connection: Any,
        query: Any,
        method: Optional[str] = None,
        dbm_injectable: bool = False,
        prepared: bool = False,
        tags: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """The call's items: its context, its own fields beside its connection's (read once per connection). The
        fields are given by position: a dataclass's keyword arguments cost a name match each, on every query."""
        info = _UNKNOWN
        if self.driver.info is not None and connection is not cursor:
            # ``info`` without its call, when the connection was seen before
            entry = self._infos.get(id(connection))
            info = entry[1] if entry is not None and entry[0]() is connection else self.info(connection)
        if info.tags:
            tags = {**info.tags, **tags} if tags else info.tags
        db = DatabaseContext(
            self.driver.system,
            query,
            info.host,
            info.port,
            info.user,
            info.database,
            method,
            dbm_injectable,
            prepared,
            None,
            None,
            tags,
            cursor,
        )
        return {"db_context": db}

    # --- context builders: one per method family ---

    def _remember(self, cursor: Any, query: Any) -> None:
        """The query a cursor ran, for its fetch spans (only while fetch methods are traced)."""
        config = dd.registered_configs.get(self.package)
        if config is not None and dd.setting(config, "trace_fetch_methods"):
            with contextlib.suppress(TypeError):  # a cursor that cannot be weakly referenced
                self._last_query[cursor] = query

    def _execute_items(
        self, cursor: Any, args: Args, kwargs: Kwargs, tags: Optional[Dict[str, Any]] = None
    ) -> Optional[Dict[str, Any]]:
        connection = self._connection(cursor)
        query = args[0] if args else kwargs.get(self.driver.query_keyword)
        config = dd.registered_configs.get(self.package)
        if config is not None and dd.setting(config, "trace_fetch_methods"):  # as _remember, without its call
            with contextlib.suppress(TypeError):
                self._last_query[cursor] = query
        driver = self.driver
        if driver.prepared_class is not None:
            prepared = self._prepared_classes.get(type(cursor))
            if prepared is None:
                prepared = self._prepared_class(type(cursor))
        else:
            prepared = driver.prepared is not None and driver.prepared(cursor, args, kwargs)
        return self._items(cursor, connection, query, None, driver.dbm, prepared, tags)  # by position: cheaper

    def _prepared_class(self, cls: type) -> bool:
        if len(self._prepared_classes) >= 256:  # classes made on the fly must not accumulate
            self._prepared_classes.clear()
        prepared = self._prepared_classes[cls] = bool(self.driver.prepared_class(cls))  # type: ignore[misc]
        return prepared

    def _executemany_items(self, cursor: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
        return self._execute_items(cursor, args, kwargs, {"sql.executemany": "true"})

    def _executescript_items(self, cursor: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
        """sqlite3's script of several statements: one span, the script as its resource, never commented."""
        connection = self._connection(cursor)
        script = argument(args, kwargs, 0, "sql_script")
        self._remember(cursor, script)
        return self._items(cursor, connection, script)

    def _callproc_items(self, cursor: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
        connection = self._connection(cursor)
        procedure = argument(args, kwargs, 0, "procname")
        self._remember(cursor, procedure)
        return self._items(cursor, connection, procedure)

    def _fetch_items(self, method: str) -> Callable[[Any, Args, Kwargs], Optional[Dict[str, Any]]]:
        def build(cursor: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
            if not dd.integration_setting(self.package, "trace_fetch_methods"):
                return None  # off by default: a span per row would flood traces
            connection = self._connection(cursor)
            tags: Dict[str, Any] = {}
            if method == "fetchmany":
                size = argument(args, kwargs, 0, "size") or getattr(cursor, "arraysize", None)
                if size:
                    tags["db.fetch.size"] = size
            query = None
            with contextlib.suppress(TypeError):
                query = self._last_query.get(cursor)
            return self._items(cursor, connection, query, method=method, tags=tags)

        return build

    def _connection_items(self, method: str) -> Callable[[Any, Args, Kwargs], Dict[str, Any]]:
        def build(connection: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
            info = self.info(connection)
            db = DatabaseContext(self.driver.system, None, info.host, info.port, info.user, info.database)
            db.method = method
            if info.tags:
                db.tags = info.tags
            return {"db_context": db}

        return build

    # --- what the call hands back ---

    def _with_comment(self, ctx: Any, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
        commented = dd.context_items(ctx)["db_context"].commented_query
        if commented is None:
            return args, kwargs
        return replace_argument(args, kwargs, 0, self.driver.query_keyword, commented)


_by_module: Dict[str, DbApiPublisher] = {}


def publisher_for(module: ModuleType, driver: Driver) -> DbApiPublisher:
    """The publisher for one patched driver module, pinned and remembered for ``unpatch``."""
    publisher = _by_module[module.__name__] = DbApiPublisher(driver)
    publisher.pin(module)
    return publisher


def unpatch(module: ModuleType) -> None:
    publisher = _by_module.pop(module.__name__, None)
    if publisher is not None:
        publisher.unwrap_all()
