"""The DB-API publisher layer, through a fake driver with real drivers' habits (tests/fakes/fakedbapi.py)."""

from __future__ import annotations

import pytest
from helpers import assert_span

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.dbapi import DbApiPublisher
from ddtrace_integrations.dbapi import Driver

META = {
    "component": "fakedbapi",
    "span.kind": "client",
    "db.system": "fakesql",
    "db.name": "shop",
    "db.user": "alice",
    "out.host": "db.internal",
}


def test_execute_family_spans(fake_dbapi, spans):
    cur = fake_dbapi.connect().cursor()
    cur.execute("SELECT 1")
    cur.executemany("INSERT INTO t VALUES (%s)", [(1,), (2,)])
    cur.callproc("refresh", (7,))
    metrics = {"network.destination.port": 5433, "_dd.measured": 1}
    assert_span(spans.one("fakesql.query", "SELECT 1"), service="fakesql", span_type="sql", meta=META, metrics=metrics)
    # the driver's own execute calls inside executemany and callproc are not spans of their own
    assert [s.resource for s in spans.named("fakesql.query")] == ["SELECT 1", "INSERT INTO t VALUES (%s)", "refresh"]
    assert_span(spans.one("fakesql.query", "INSERT INTO t VALUES (%s)"), meta={"sql.executemany": "true"})
    assert_span(spans.one("fakesql.query", "refresh"), metrics={"db.row_count": 3})


def test_row_count_is_recorded_on_error_too(fake_dbapi, spans):
    cur = fake_dbapi.connect().cursor()
    with pytest.raises(fake_dbapi.DatabaseError):
        cur.execute("SELECT fail")
    assert_span(spans.one("fakesql.query"), error=1, metrics={"db.row_count": -1})


def test_row_count_is_the_cursors_whatever_its_type(fake_dbapi, spans):
    """The plugin reads the cursor's ``rowcount`` when the call ends and stores any value but None, as ddtrace's
    DB-API layer does (``Span._set_attribute``: a number as a metric, anything else as text)."""

    class OddCursor(fake_dbapi.Cursor):
        rowcount = property(lambda self: "unknown", lambda self, value: None)

    OddCursor(fake_dbapi.connect()).execute("SELECT odd")
    fake_dbapi.connect().cursor().execute("SELECT 1")
    assert_span(spans.one("fakesql.query", "SELECT odd"), meta={"db.row_count": "unknown"})
    assert_span(spans.one("fakesql.query", "SELECT 1"), metrics={"db.row_count": 3})


def test_fetch_spans_only_while_the_setting_is_on(fake_dbapi, spans, monkeypatch):
    cur = fake_dbapi.connect().cursor()
    cur.execute("SELECT 1")
    cur.fetchone()
    assert spans.named("fakesql.query.fetchone") == []
    monkeypatch.setitem(dd.config.fakedbapi, "trace_fetch_methods", True)
    cur.execute("SELECT 2")
    cur.fetchmany()
    cur.fetchmany(2)
    cur.fetchall()
    sizes = [s.get_metric("db.fetch.size") for s in spans.named("fakesql.query.fetchmany")]
    assert sizes == [5, 2]  # the cursor's arraysize, then the size asked for
    # fetchmany calling fetchone inside is one span
    assert spans.named("fakesql.query.fetchone") == []
    for span in spans.named("fakesql.query.fetchmany") + spans.named("fakesql.query.fetchall"):
        assert_span(span, resource="SELECT 2", meta=META, absent=["_dd.measured"])


def test_commit_and_rollback_spans_are_named_after_the_driver(fake_dbapi, spans):
    conn = fake_dbapi.connect()
    conn.commit()
    conn.rollback()
    for name in ("fakedbapi.connection.commit", "fakedbapi.connection.rollback"):
        span = spans.one(name)
        assert_span(span, resource=name, service="fakesql", meta=META, absent=["_dd.measured"])
        assert span.span_type is None
    assert conn.commits == 1


def test_connect_span_only_with_trace_connect(fake_dbapi, spans, monkeypatch):
    fake_dbapi.connect()
    assert spans.spans == []
    monkeypatch.setitem(dd.config.fakedbapi, "trace_connect", True)
    fake_dbapi.connect()
    assert_span(spans.one("fakedbapi.connect"), service="fakesql", span_type="sql", metrics={"_dd.measured": 1})


def test_dbm_comment_goes_to_the_driver_not_into_callproc(fake_dbapi, spans, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "service")
    conn = fake_dbapi.connect()
    query = "SELECT 1"
    conn.cursor().execute(query)
    conn.cursor().callproc("refresh", (1,))
    assert conn.received[0].startswith("/*dddb='shop'") and conn.received[0].endswith("*/ SELECT 1")
    assert conn.received[1] == "CALL refresh(%s)"
    assert query == "SELECT 1"


def test_unreadable_connection_still_gives_a_span(fake_dbapi, spans):
    conn = fake_dbapi.connect()
    del conn.user  # the driver's info reader fails: the query is traced without connection tags
    conn.cursor().execute("SELECT 1")
    assert_span(spans.one("fakesql.query"), service="fakesql", absent=["out.host", "db.name"])


def test_unhashable_connections_are_read_every_time(fake_dbapi, spans):
    class Unhashable(fake_dbapi.Connection):
        __hash__ = None  # type: ignore[assignment]

    conn = Unhashable(host="other.internal")
    conn.cursor().execute("SELECT 1")
    conn.cursor().execute("SELECT 2")
    assert [s.get_tag("out.host") for s in spans.named("fakesql.query")] == ["other.internal"] * 2


def test_traced_class_publishes_and_adopts_instances(fake_dbapi, spans):
    publisher = DbApiPublisher(Driver("fakedbapi", "fakesql", lambda conn: {"host": conn.host}, fake_dbapi))

    class Plain:  # a class the publisher could not wrap in place
        def __init__(self, connection):
            self.connection, self.rowcount = connection, 1

        def execute(self, query):
            return "ran"

    traced = publisher.traced_class(Plain, ("execute",))
    assert traced.__name__ == "Plain" and traced.__slots__ == () and publisher.traced_class(Plain, ()) is traced
    cursor = publisher.adopt(Plain(fake_dbapi.connect()), ("execute",))
    assert type(cursor) is traced and publisher.adopt(cursor, ()) is cursor
    assert cursor.execute("SELECT 9") == "ran" and isinstance(cursor, Plain)
    assert_span(spans.one("fakesql.query", "SELECT 9"), meta={"out.host": "db.internal"})


def test_adopt_leaves_instances_of_c_types_as_they_are(fake_dbapi):
    import sqlite3

    publisher = DbApiPublisher(Driver("fakedbapi", "fakesql", None, fake_dbapi))
    conn = sqlite3.connect(":memory:")
    cursor = conn.cursor()
    # static types, and (3.10+) C modules' immutable heap types, cannot change class: assigning would raise
    for obj in (cursor, conn, object()):
        assert publisher.adopt(obj, ("execute",)) is obj and type(obj) in (sqlite3.Cursor, sqlite3.Connection, object)
    conn.close()


def test_a_driver_without_connection_info_or_dbm(fake_dbapi, spans, monkeypatch):
    """sqlite3's case: no connection is read (the reader would fail here), no comment is sent in any mode."""
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "full")

    def unreadable(conn):
        raise AssertionError("read")

    publisher = DbApiPublisher(Driver("fakedbapi", "fakesql", unreadable, fake_dbapi))
    silent = DbApiPublisher(Driver("fakedbapi", "fakesql", None, fake_dbapi, dbm=False))
    assert silent.info(fake_dbapi.connect()).host is None and silent.events["execute"].rewrite is None
    assert publisher.events["execute"].rewrite is not None
    traced = silent.traced_class(fake_dbapi.Cursor, ("execute", "executescript"))
    conn = fake_dbapi.connect()
    traced(conn).execute("SELECT 1")
    assert conn.received[-1] == "SELECT 1"  # as the application wrote it
    span = spans.one("fakesql.query", "SELECT 1")
    assert_span(span, meta={"db.system": "fakesql"}, absent=["out.host", "db.name", "_dd.dbm_trace_injected"])


def test_connection_spans_are_named_after_the_normalized_vendor():
    from ddtrace_integrations.tracing_plugins.base.database import _vendor

    def made_in(module: str) -> type:
        return type("Connection", (), {"__module__": module})

    assert _vendor(made_in("psycopg2.extensions")) == "postgres"
    assert _vendor(made_in("sqlite3")) == "sqlite"
    assert _vendor(made_in("pysqlite2.dbapi2")) == "sqlite"
    assert _vendor(made_in("MySQLdb.connections")) == "MySQLdb"


def test_unpatch_leaves_the_driver_as_it_was(fake_dbapi, spans):
    import ddtrace_integrations

    ddtrace_integrations.unpatch(fakedbapi=True)
    assert "execute" in vars(fake_dbapi.Cursor) and not hasattr(fake_dbapi.Cursor.execute, "__wrapped__")
    fake_dbapi.connect().cursor().execute("SELECT 1")
    assert spans.spans == []
    ddtrace_integrations.patch(fakedbapi=True)


def test_driver_methods_are_plain_functions_that_bind_as_methods(fake_dbapi, spans):
    import inspect

    from ddtrace_integrations.dbapi import _by_module
    from ddtrace_integrations.publisher import is_wrapped

    method = vars(fake_dbapi.Cursor)["execute"]
    assert inspect.isfunction(method) and method.__name__ == "execute" and is_wrapped(method)
    assert list(inspect.signature(method).parameters) == ["self", "query", "params"]  # the driver's, via __wrapped__
    cursor = fake_dbapi.connect().cursor()
    assert is_wrapped(cursor.execute)  # what Django's cursor wrapper asks before tracing a driver's query itself
    assert cursor.execute("SELECT 1") == 3  # the driver's result, passed through
    spans.one("fakesql.query", "SELECT 1")
    _by_module["fakedbapi"].wrap_methods(fake_dbapi.Cursor)  # wrapping again installs nothing more
    assert vars(fake_dbapi.Cursor)["execute"] is method


def test_coroutine_methods_stay_behind_wrapt():
    import inspect

    import wrapt

    from ddtrace_integrations.publisher import Event
    from ddtrace_integrations.publisher import Publisher
    from ddtrace_integrations.publisher import is_wrapped

    class Client:
        async def query(self) -> int:
            return 1

    original = vars(Client)["query"]
    publisher = Publisher("fakeclient")
    publisher.wrap_method(Client, "query", Event("fakeclient.query", lambda *_: None))
    assert isinstance(vars(Client)["query"], wrapt.FunctionWrapper)
    assert inspect.iscoroutinefunction(Client().query)  # as the library's own method answers
    publisher.unwrap_all()
    assert vars(Client)["query"] is original and not is_wrapped(Client.query)
