"""sqlite3 (the standard library's) publisher, on the DB-API layer.

sqlite3's connection and cursor are C types: their methods cannot be wrapped in place, and a proxy fails the
C-level type checks (``backup``'s target, ``sqlite3.Row``'s cursor). ``connect`` is handed the traced subclass of
the factory it was given (``sqlite3.Connection`` unless the application names its own), whose ``cursor`` makes
cursors of the traced subclass of theirs. The connection's shortcuts (``execute``, ``executemany``,
``executescript``) make a cursor and run the statement on it in C, out of the wrappers' reach: while a plugin
listens they make the traced cursor themselves, so that the call and the fetches on the cursor it returns are
traced, as they are under ddtrace.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.dbapi import FETCH
from ddtrace_integrations.dbapi import TRANSACTION
from ddtrace_integrations.dbapi import Driver
from ddtrace_integrations.dbapi import publisher_for
from ddtrace_integrations.dbapi import unpatch as unpatch
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Wrapper
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import quiet_iter
from ddtrace_integrations.publisher import replace_argument

supported_versions = {"sqlite3": "*"}
SHORTCUTS = ("execute", "executemany", "executescript")
CURSOR = SHORTCUTS + FETCH


def get_version(sqlite3: ModuleType) -> str:
    return str(sqlite3.sqlite_version)  # the SQLite library's, as ddtrace reports it


def patch(sqlite3: ModuleType) -> None:
    # ddtrace's sqlite integration reads nothing from the connection (db.system only) and sends no DBM comment
    publisher = publisher_for(sqlite3, Driver("sqlite", "sqlite", None, pin_source=sqlite3, dbm=False))
    base_cursor, has_listeners = sqlite3.Connection.cursor, dd.core.has_listeners
    traced_cursor = publisher.traced_class(sqlite3.Cursor, CURSOR)
    started = publisher.events["execute"].started

    def cursor(wrapped: Any, conn: Any, args: Args, kwargs: Kwargs) -> Any:
        if not args and not kwargs:  # the usual call: sqlite3.Cursor, traced
            return wrapped(traced_cursor)
        factory = argument(args, kwargs, 0, "factory")
        if isinstance(factory, type) and issubclass(factory, sqlite3.Cursor):
            args, kwargs = replace_argument(args, kwargs, 0, "factory", publisher.traced_class(factory, CURSOR))
            return wrapped(*args, **kwargs)
        return publisher.adopt(wrapped(*args, **kwargs), CURSOR)  # a function returning a cursor

    def shortcut(method: str) -> Wrapper:
        def run_on_cursor(wrapped: Any, conn: Any, args: Args, kwargs: Kwargs) -> Any:
            if not has_listeners(started):
                return wrapped(*args, **kwargs)
            # what C does, on the cursor it would make (sqlite3.Cursor, not the connection's own ``cursor()``)
            return getattr(base_cursor(conn, traced_cursor), method)(*args, **kwargs)

        return run_on_cursor

    def own_cursor(wrapped: Any, conn: Any, args: Args, kwargs: Kwargs) -> Any:
        return publisher.adopt(wrapped(*args, **kwargs), CURSOR)

    # sqlite3's dump code queries the connection through its cursor: its queries are not the application's
    connection_wrappers = {method: shortcut(method) for method in SHORTCUTS}
    connection_wrappers["iterdump"] = quiet_iter(lambda conn: conn)

    def connect(wrapped: Any, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        factory = argument(args, kwargs, 5, "factory", sqlite3.Connection)
        if isinstance(factory, type) and issubclass(factory, sqlite3.Connection):
            # The application's own methods run as written: its ``cursor()`` picks its cursor class (traced when the
            # class can be), its shortcuts are left alone (their ``super()`` call reaches C, untraced).
            mro = factory.__mro__
            own = {name for k in mro[: mro.index(sqlite3.Connection)] for name in vars(k)}
            wrappers = {name: wrapper for name, wrapper in connection_wrappers.items() if name not in own}
            wrappers["cursor"] = own_cursor if "cursor" in own else cursor
            traced_factory = publisher.traced_class(factory, TRANSACTION, **wrappers)
            args, kwargs = replace_argument(args, kwargs, 5, "factory", traced_factory)
            return wrapped(*args, **kwargs)
        return publisher.adopt(wrapped(*args, **kwargs), TRANSACTION, cursor=cursor, **connection_wrappers)

    for module in (sqlite3, sqlite3.dbapi2):  # the same function, under both names
        publisher.wrap(module, "connect", connect)
