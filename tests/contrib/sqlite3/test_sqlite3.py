"""sqlite3 under v2: in-memory and file databases, the real tracer's spans."""

from __future__ import annotations

import sqlite3
import sys
import threading
from typing import Any
from typing import List

import pytest
from ddtrace.trace import tracer
from helpers import assert_span
from helpers import patched_fixture
from helpers import run_python

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd

META = {"component": "sqlite", "span.kind": "client", "db.system": "sqlite"}
NO_CONNECTION_TAGS = ["out.host", "server.address", "db.name", "db.user", "peer.service"]

patched = patched_fixture(autouse=True, sqlite3=True)


class AppConnection(sqlite3.Connection):
    """An application's connection class: attributes of its own, a method of its own."""

    def tables(self) -> List[str]:
        return [row[0] for row in self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


class AppCursor(sqlite3.Cursor):
    def first(self) -> Any:
        row = self.fetchone()
        return row[0] if row else None


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


def test_query_span_tags_and_row_count(conn, spans):
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (n INTEGER)")
    cur.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (3,), (4,)])
    cur.execute("UPDATE t SET n = n + 1 WHERE n > ?", (1,))
    assert cur.rowcount == 3
    assert_span(
        spans.one("sqlite.query", "UPDATE t SET n = n + 1 WHERE n > ?"),
        service="sqlite",
        span_type="sql",
        meta={**META, "_dd.svc_src": "sqlite"},
        metrics={"db.row_count": 3, "_dd.measured": 1},
        absent=NO_CONNECTION_TAGS,
    )
    many = spans.one("sqlite.query", "INSERT INTO t VALUES (?)")
    assert_span(many, meta={**META, "sql.executemany": "true"}, metrics={"db.row_count": 4})


def test_file_database_is_traced_and_written(tmp_path, spans):
    path = str(tmp_path / "app.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE f (v TEXT)")
    conn.execute("INSERT INTO f VALUES (?)", ("x",))
    conn.commit()
    conn.close()
    assert sqlite3.connect(path).execute("SELECT v FROM f").fetchall() == [("x",)]
    assert_span(spans.one("sqlite.query", "INSERT INTO f VALUES (?)"), meta=META, absent=NO_CONNECTION_TAGS)
    assert_span(spans.one("sqlite.connection.commit"), meta=META, absent=["_dd.measured", *NO_CONNECTION_TAGS])
    assert spans.one("sqlite.connection.commit").span_type is None


def test_executescript_is_one_span_and_connection_shortcuts_run_on_traced_cursors(conn, spans):
    script = "CREATE TABLE s (x); INSERT INTO s VALUES (1); INSERT INTO s VALUES (2);"
    assert conn.cursor().executescript(script).fetchall() == []
    returned = conn.executemany("INSERT INTO s VALUES (?)", [(3,), (4,)])
    assert isinstance(returned, sqlite3.Cursor) and returned.rowcount == 2
    conn.executescript("DELETE FROM s WHERE x > 3;")
    assert conn.execute("SELECT x FROM s ORDER BY x").fetchall() == [(1,), (2,), (3,)]
    assert [s.resource for s in spans.named("sqlite.query")] == [
        script,
        "INSERT INTO s VALUES (?)",
        "DELETE FROM s WHERE x > 3;",
        "SELECT x FROM s ORDER BY x",
    ]
    assert_span(spans.one("sqlite.query", script), meta=META, absent=["sql.executemany"])
    assert_span(spans.one("sqlite.query", "INSERT INTO s VALUES (?)"), meta={"sql.executemany": "true"})


def test_fetch_spans_follow_the_setting_at_runtime(conn, spans, monkeypatch):
    cur = conn.execute("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20) SELECT n FROM c")
    assert len(list(cur)) == 20
    conn.execute("SELECT 1").fetchone()
    assert [s.name for s in spans.spans] == ["sqlite.query", "sqlite.query"]
    spans.clear()
    monkeypatch.setitem(dd.config.sqlite, "trace_fetch_methods", True)  # as users set it, after patching
    cur = conn.cursor()
    cur.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
    cur.fetchmany(2)
    conn.execute("SELECT 4").fetchall()  # the shortcut's cursor is traced too
    assert_span(
        spans.one("sqlite.query.fetchmany"),
        resource="SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3",
        span_type="sql",
        meta=META,
        metrics={"db.fetch.size": 2},
        absent=["_dd.measured"],
    )
    assert spans.one("sqlite.query.fetchall").resource == "SELECT 4"


def test_commit_rollback_and_the_context_manager(tmp_path, spans):
    path = str(tmp_path / "cm.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE c (v)")
    conn.commit()
    conn.execute("INSERT INTO c VALUES (1)")
    conn.rollback()
    with conn:  # commits on leaving the block
        conn.execute("INSERT INTO c VALUES (2)")
    with pytest.raises(ZeroDivisionError), conn:  # rolls back on an exception
        conn.execute("INSERT INTO c VALUES (3)")
        raise ZeroDivisionError
    assert sqlite3.connect(path).execute("SELECT v FROM c").fetchall() == [(2,)]
    # the commit or rollback ending a ``with`` block is made by sqlite3's C code, untraced as under ddtrace (the
    # explicit calls are the spans; seen on 3.9, 3.10, 3.11 and 3.13)
    assert len(spans.named("sqlite.connection.commit")) == 1
    assert len(spans.named("sqlite.connection.rollback")) == 1
    assert_span(spans.named("sqlite.connection.rollback")[0], resource="sqlite.connection.rollback", meta=META)


def test_errors_pass_through_and_are_tagged(conn, spans):
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        conn.execute("SELEC broken")
    conn.execute("CREATE TABLE u (k PRIMARY KEY)")
    conn.execute("INSERT INTO u VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO u VALUES (1)")
    assert_span(
        spans.one("sqlite.query", "SELEC broken"), error=1, meta={**META, "error.type": "sqlite3.OperationalError"}
    )
    duplicate = spans.named("sqlite.query")[-1]
    assert_span(duplicate, resource="INSERT INTO u VALUES (1)", error=1, meta={"error.type": "sqlite3.IntegrityError"})


def test_c_level_type_checks_pass(conn, spans, tmp_path):
    cur = conn.cursor()
    assert isinstance(conn, sqlite3.Connection) and isinstance(cur, sqlite3.Cursor)
    assert type(conn).__name__ == "Connection" and type(conn).__module__ == "sqlite3"
    conn.create_function("twice", 1, lambda v: v * 2)
    conn.create_aggregate("total", 1, _Total)
    conn.execute("CREATE TABLE b (v)")
    conn.executemany("INSERT INTO b VALUES (twice(?))", [(1,), (2,)])
    assert conn.execute("SELECT total(v) FROM b").fetchone() == (6,)
    conn.row_factory = sqlite3.Row  # sqlite3.Row requires a real sqlite3 cursor
    row = conn.execute("SELECT v FROM b ORDER BY v").fetchone()
    assert isinstance(row, sqlite3.Row) and row["v"] == 2
    conn.row_factory = None
    assert sqlite3.Row(cur.execute("SELECT 5 AS five"), (5,))["five"] == 5
    conn.commit()  # a backup waits for the source's write transaction to end
    plain = sqlite3.Connection(":memory:")  # made without connect: untraced, still a valid backup target
    conn.backup(plain)
    traced_target = sqlite3.connect(str(tmp_path / "copy.db"))
    conn.backup(traced_target)
    plain.backup(traced_target)
    assert traced_target.execute("SELECT count(*) FROM b").fetchone() == (2,)
    assert sqlite3.Cursor(conn).execute("SELECT 1").fetchone() == (1,)
    untraced = sqlite3.Connection(":memory:")
    conn.backup(untraced)
    assert list(conn.iterdump()) == list(untraced.iterdump())
    sqlite3.register_adapter(_Point, lambda p: f"{p.x};{p.y}")
    assert conn.execute("SELECT ?", (_Point(1, 2),)).fetchone() == ("1;2",)
    assert spans.one("sqlite.query", "SELECT total(v) FROM b")


class _Total:
    def __init__(self) -> None:
        self.sum = 0

    def step(self, value: Any) -> None:
        self.sum += value

    def finalize(self) -> Any:
        return self.sum


class _Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


def test_iterdump_queries_are_not_spans_but_the_application_s_queries_between_its_steps_are(conn, spans):
    conn.executescript("CREATE TABLE d (v); INSERT INTO d VALUES (1); CREATE TABLE e (w);")
    untraced = sqlite3.Connection(":memory:")
    conn.backup(untraced)
    spans.clear()
    dump = conn.iterdump()
    first = next(dump)
    conn.execute("SELECT 'between'")
    assert [first, *dump] == list(untraced.iterdump())
    assert [s.resource for s in spans.spans] == ["SELECT 'between'"]


def test_application_factories_are_respected(spans):
    conn = sqlite3.connect(":memory:", factory=AppConnection)
    assert isinstance(conn, AppConnection) and type(conn).__mro__[1] is AppConnection
    conn.note = "kept"  # a Python subclass has a __dict__: still there
    conn.execute("CREATE TABLE a (v)")
    assert conn.tables() == ["a"] and conn.note == "kept"
    cur = conn.cursor(AppCursor)
    assert isinstance(cur, AppCursor) and cur.execute("SELECT 7").first() == 7
    made: List[Any] = []

    def cursor_function(connection: Any) -> Any:  # a factory that is a function, not a class
        made.append(AppCursor(connection))
        return made[-1]

    from_function = conn.cursor(factory=cursor_function)
    assert from_function is made[0] and from_function.execute("SELECT 8").first() == 8
    conn.commit()
    conn.close()
    assert spans.one("sqlite.query", "SELECT 7") and spans.one("sqlite.query", "SELECT 8")
    # ddtrace names a connection's spans after its class's module
    assert spans.one(f"{AppConnection.__module__.split('.')[0]}.connection.commit")


class DefaultingConnection(sqlite3.Connection):
    """A connection whose own ``cursor()`` picks the cursor class."""

    def cursor(self, factory: Any = AppCursor) -> Any:
        return super().cursor(factory)


class PlainCursorConnection(sqlite3.Connection):
    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        return super().cursor()


class LoggingConnection(sqlite3.Connection):
    """A connection whose own ``execute`` does something first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: List[str] = []

    def execute(self, sql: str, *args: Any) -> Any:
        self.log.append(sql)
        return super().execute(sql, *args)


def test_a_connection_s_own_shortcut_runs_as_written(spans):
    conn = sqlite3.connect(":memory:", factory=LoggingConnection)
    assert conn.execute("SELECT 14").fetchone() == (14,) and conn.log == ["SELECT 14"]
    conn.executescript("CREATE TABLE l (v);")  # not overridden: traced as usual
    # the override's super().execute is traced on 3.9 and 3.10, not since (docs/differences.md, sqlite3 limits)
    before_311 = ["SELECT 14"] if sys.version_info < (3, 11) else []
    assert [s.resource for s in spans.named("sqlite.query")] == [*before_311, "CREATE TABLE l (v);"]


def test_a_connection_choosing_its_own_cursor_class_keeps_it(spans):
    conn = sqlite3.connect(":memory:", factory=DefaultingConnection)
    cur = conn.cursor()
    assert isinstance(cur, AppCursor) and cur.execute("SELECT 11").first() == 11
    plain = sqlite3.connect(":memory:", factory=PlainCursorConnection)
    assert plain.cursor().execute("SELECT 12").fetchone() == (12,)  # sqlite3's own class: cannot be traced
    plain.execute("SELECT 13")  # the shortcut makes its cursor itself, as in C
    assert spans.one("sqlite.query", "SELECT 11") and spans.one("sqlite.query", "SELECT 13")
    assert spans.named("sqlite.query") == [
        spans.one("sqlite.query", "SELECT 11"),
        spans.one("sqlite.query", "SELECT 13"),
    ]


def test_factories_given_positionally_and_cursor_argument_errors_pass_through(spans):
    conn = sqlite3.connect(":memory:", 5.0, 0, "DEFERRED", True, AppConnection)
    assert isinstance(conn, AppConnection)
    with pytest.raises(TypeError):
        conn.cursor(factory=dict)
    with pytest.raises(TypeError):
        conn.cursor(AppCursor, "extra")
    with pytest.raises(TypeError):
        conn.execute()
    conn.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="autocommit is new in Python 3.12")
def test_autocommit_attribute(tmp_path, spans):
    conn = sqlite3.connect(str(tmp_path / "ac.db"), autocommit=False)
    assert conn.autocommit is False
    conn.execute("CREATE TABLE ac (v)")
    conn.commit()
    conn.autocommit = True
    conn.execute("INSERT INTO ac VALUES (1)")
    assert spans.one("sqlite.connection.commit") and spans.one("sqlite.query", "INSERT INTO ac VALUES (1)")


def test_no_dbm_comment_in_any_mode(conn, spans, monkeypatch):
    seen: List[str] = []
    conn.set_trace_callback(seen.append)  # what SQLite itself was given
    for mode in ("service", "full", "dynamic_service"):
        monkeypatch.setattr(dd.dbm_config, "propagation_mode", mode)
        conn.execute(f"SELECT '{mode}'")
    assert seen == ["SELECT 'service'", "SELECT 'full'", "SELECT 'dynamic_service'"]
    for span in spans.named("sqlite.query"):
        assert span.get_tag("_dd.dbm_trace_injected") is None


def test_connections_used_from_threads_parent_their_own_queries(tmp_path, spans):
    path = str(tmp_path / "threads.db")
    sqlite3.connect(path).close()
    results: List[Any] = [None] * 8

    def work(i: int) -> None:
        conn = sqlite3.connect(path, timeout=30)
        try:
            with tracer.trace("job", resource=str(i)):
                results[i] = conn.execute(f"SELECT {i}").fetchone()[0]
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == list(range(8))
    for i in range(8):
        job, query = spans.one("job", str(i)), spans.one("sqlite.query", f"SELECT {i}")
        assert (query.trace_id, query.parent_id) == (job.trace_id, job.span_id)


def test_unpatch_restores_the_library(spans):
    ddtrace_integrations.unpatch(sqlite3=True)
    try:
        assert not hasattr(sqlite3.connect, "__wrapped__") and not hasattr(sqlite3.dbapi2.connect, "__wrapped__")
        conn = sqlite3.connect(":memory:")
        assert type(conn) is sqlite3.Connection
        conn.execute("SELECT 1")
        assert spans.spans == []
    finally:
        ddtrace_integrations.patch(sqlite3=True)


def test_settings_from_the_environment():
    code = (
        "import sqlite3, ddtrace_integrations; ddtrace_integrations.patch_all();"
        "print(type(sqlite3.connect(':memory:')) is sqlite3.Connection)"
    )
    assert run_python(code, env={"DD_TRACE_SQLITE3_ENABLED": "false"}).strip() == "True"
    assert run_python(code).strip() == "False"
