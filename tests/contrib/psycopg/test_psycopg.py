"""psycopg 3 (sync and async) and psycopg2 under v2 against the real PostgreSQL."""

from __future__ import annotations

import concurrent.futures

import psycopg
import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pytest
from ddtrace.trace import tracer
from helpers import PG_DSN
from helpers import assert_no_secret
from helpers import assert_span
from helpers import dbm_comment
from psycopg import sql
from psycopg2 import sql as sql2

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd

CONN_META = {
    "component": "psycopg",
    "span.kind": "client",
    "db.system": "postgresql",
    "db.name": "test",
    "db.user": "postgres",
    "out.host": "127.0.0.1",
    "server.address": "127.0.0.1",
}
DRIVERS = {
    "psycopg": (lambda: psycopg.connect(PG_DSN), lambda conn: conn.info.backend_pid),
    "psycopg2": (lambda: psycopg2.connect(PG_DSN), lambda conn: conn.get_backend_pid()),
}


@pytest.fixture
def patched():
    ddtrace_integrations.patch(psycopg=True)
    yield
    ddtrace_integrations.unpatch(psycopg=True)


@pytest.fixture(params=sorted(DRIVERS))
def driver(request, patched):
    return DRIVERS[request.param]


def test_query_span_tags_and_row_count(driver, spans):
    conn = driver[0]()
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE rc (n int)")
    cur.execute("INSERT INTO rc SELECT generate_series(1, 4)")
    cur.execute("UPDATE rc SET n = n + 1 WHERE n > %s", (1,))
    assert cur.rowcount == 3
    conn.close()
    assert_span(
        spans.one("postgres.query", "UPDATE rc SET n = n + 1 WHERE n > %s"),
        service="postgres",
        span_type="sql",
        meta={**CONN_META, "_dd.svc_src": "psycopg"},
        metrics={"db.row_count": 3, "network.destination.port": 5432, "_dd.measured": 1},
    )


def test_errors_pass_through_and_are_tagged(driver, spans):
    conn = driver[0]()
    with pytest.raises(
        psycopg.errors.SyntaxError if isinstance(conn, psycopg.Connection) else psycopg2.ProgrammingError
    ):
        conn.cursor().execute("SELEC broken")
    conn.close()
    span = spans.one("postgres.query", "SELEC broken")
    assert_span(span, error=1, meta=CONN_META, metrics={"db.row_count": -1})
    assert "syntax error" in span.get_tag("error.message")


def test_lost_connection_is_an_error_span(driver, spans):
    conn = driver[0]()
    with pytest.raises((psycopg.OperationalError, psycopg2.OperationalError)):
        conn.cursor().execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert_span(spans.one("postgres.query", "SELECT pg_terminate_backend(pg_backend_pid())"), error=1)


def test_dsn_password_never_reaches_a_tag(patched, spans):
    for conn in (
        psycopg.connect(PG_DSN + "?password=Sup3rSecretPw"),
        psycopg2.connect(PG_DSN, password="Sup3rSecretPw"),
    ):
        conn.cursor().execute("SELECT 1")
        conn.commit()
        conn.close()
    assert len(spans.spans) == 4
    assert_no_secret(spans.spans, "Sup3rSecretPw")


def test_no_span_per_row_and_fetch_spans_follow_the_setting_at_runtime(driver, spans, monkeypatch):
    conn = driver[0]()
    cur = conn.cursor()
    cur.execute("SELECT generate_series(1, 20)")
    assert len(list(cur)) == 20
    cur.execute("SELECT generate_series(1, 3)")
    cur.fetchone()
    assert [s.name for s in spans.spans] == ["postgres.query", "postgres.query"]
    monkeypatch.setitem(dd.config.psycopg, "trace_fetch_methods", True)  # as users set it, after patching
    cur.execute("SELECT generate_series(1, 3)")
    cur.fetchmany(2)
    conn.close()
    assert_span(
        spans.one("postgres.query.fetchmany"),
        resource="SELECT generate_series(1, 3)",
        span_type="sql",
        meta=CONN_META,
        metrics={"db.fetch.size": 2, "db.row_count": 3},
        absent=["_dd.measured"],
    )


def test_composed_queries_are_rendered_for_the_resource(patched, spans):
    conn = psycopg.connect(PG_DSN)
    conn.cursor().execute(sql.SQL("SELECT {}::int").format(sql.Literal(5)))
    conn2 = psycopg2.connect(PG_DSN)
    conn2.cursor().execute(sql2.SQL("SELECT {}").format(sql2.Identifier("oid")) + sql2.SQL(" FROM pg_type LIMIT 1"))
    assert spans.one("postgres.query", "SELECT 5::int")
    assert spans.one("postgres.query", 'SELECT "oid" FROM pg_type LIMIT 1')


def test_psycopg2_objects_pass_c_level_type_checks(patched, spans):
    conn = psycopg2.connect(PG_DSN)
    cur = conn.cursor()
    assert isinstance(conn, psycopg2.extensions.connection) and isinstance(cur, psycopg2.extensions.cursor)
    psycopg2.extensions.register_type(psycopg2.extensions.UNICODE, cur)
    psycopg2.extensions.register_type(psycopg2.extensions.UNICODE, conn)
    psycopg2.extras.register_json(conn)
    psycopg2.extras.register_uuid(conn_or_curs=conn)
    assert psycopg2.extensions.adapt("x").getquoted() == b"'x'"
    psycopg2.extras.execute_values(cur, "SELECT * FROM (VALUES %s) AS t(a)", [(1,), (2,)])
    cur.execute("SELECT %s::json", (psycopg2.extras.Json({"k": 1}),))
    assert cur.fetchone()[0] == {"k": 1}
    dict_cur = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
    dict_cur.execute("SELECT 1 AS one")
    assert dict_cur.fetchone() == {"one": 1}
    conn.close()
    assert spans.one("postgres.query", "SELECT 1 AS one")
    assert spans.one("postgres.query", "SELECT %s::json")


def test_psycopg2_connection_and_cursor_factories_keep_their_behaviour(patched, spans):
    conn = psycopg2.connect(PG_DSN, connection_factory=psycopg2.extras.DictConnection)
    assert type(conn).__mro__[1] is psycopg2.extras.DictConnection
    cur = conn.cursor()
    cur.execute("SELECT 3 AS three")
    assert cur.fetchone()["three"] == 3
    logging_conn = psycopg2.connect(PG_DSN, connection_factory=psycopg2.extras.LoggingConnection)
    logging_conn.initialize(open("/dev/null", "w"))  # noqa: SIM115
    logging_conn.cursor().execute("SELECT 4")
    conn.close()
    logging_conn.close()
    assert spans.one("postgres.query", "SELECT 3 AS three") and spans.one("postgres.query", "SELECT 4")


def test_callproc_commit_and_rollback(patched, spans):
    conn = psycopg2.connect(PG_DSN)
    cur = conn.cursor()
    cur.execute("CREATE OR REPLACE FUNCTION ddi_add(a int, b int) RETURNS int AS 'SELECT a + b' LANGUAGE SQL")
    cur.callproc("ddi_add", (2, 3))
    assert cur.fetchone() == (5,)
    conn.commit()
    conn.rollback()
    conn3 = psycopg.connect(PG_DSN)
    with conn3:  # leaving the block commits: v2 traces that commit (ddtrace's proxy does not see it)
        conn3.execute("SELECT 1")
    assert_span(spans.one("postgres.query", "ddi_add"), metrics={"_dd.measured": 1})
    for name in ("postgres.connection.commit", "postgres.connection.rollback", "psycopg.connection.commit"):
        assert_span(spans.one(name), resource=name, meta=CONN_META, absent=["_dd.measured", "db.row_count"])
        assert spans.one(name).span_type is None


async def test_async_connection_execute_and_cursor(patched, spans):
    conn = await psycopg.AsyncConnection.connect(PG_DSN)
    await conn.execute("SELECT 1")
    async with conn.cursor() as cur:
        await cur.execute("SELECT 2")
        assert await cur.fetchone() == (2,)
    await conn.commit()
    await conn.close()
    outer = spans.one("psycopg.connection.execute")
    assert_span(outer, meta=CONN_META)
    assert spans.one("postgres.query", "SELECT 1").parent_id == outer.span_id
    assert_span(spans.one("postgres.query", "SELECT 2"), meta=CONN_META, metrics={"db.row_count": 1})
    assert spans.one("psycopg.connection.commit")


def test_connections_used_from_threads_parent_their_own_queries(driver, spans):
    connect = driver[0]

    def work(i: int) -> int:
        conn = connect()
        try:
            with tracer.trace("job", resource=str(i)):
                cur = conn.cursor()
                cur.execute(f"SELECT {i}, pg_sleep(0.01)")
                return cur.fetchone()[0]
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, range(8))) == list(range(8))
    for i in range(8):
        job, query = spans.one("job", str(i)), spans.one("postgres.query", f"SELECT {i}, pg_sleep(0.01)")
        assert (query.trace_id, query.parent_id) == (job.trace_id, job.span_id)


def test_unpatch_restores_the_library(spans):
    original = vars(psycopg.Cursor)["execute"], psycopg2.connect
    ddtrace_integrations.patch(psycopg=True)
    assert vars(psycopg.Cursor)["execute"] is not original[0] and psycopg2.connect is not original[1]
    ddtrace_integrations.unpatch(psycopg=True)
    assert vars(psycopg.Cursor)["execute"] is original[0] and psycopg2.connect is original[1]
    conn = psycopg.connect(PG_DSN)
    conn.execute("SELECT 1")
    conn.close()
    assert spans.spans == []


# --- DBM, proven by what PostgreSQL itself recorded for the connection ---


def _seen_by_server(pid: int) -> str:
    with psycopg.connect(PG_DSN, autocommit=True) as observer:
        return observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]


@pytest.mark.parametrize("mode", ["service", "full"])
@pytest.mark.parametrize(
    "query",
    [
        "SELECT 'dbm-probe'",
        b"SELECT 'dbm-probe'",
        sql.SQL("SELECT {}").format(sql.Literal("dbm-probe")),
        sql2.SQL("SELECT {}").format(sql2.Literal("dbm-probe")),
    ],
    ids=["str", "bytes", "composed", "composed2"],
)
def test_dbm_comment_reaches_postgresql(patched, spans, monkeypatch, mode, query):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", mode)
    monkeypatch.setattr(dd.config, "service", "orders-api")
    connect, pid = DRIVERS["psycopg2" if isinstance(query, sql2.Composable) else "psycopg"]
    conn = connect()
    conn.cursor().execute(query)
    seen = _seen_by_server(pid(conn))
    conn.close()
    span = spans.named("postgres.query")[0]
    comment = dbm_comment(span, mode, dddb="test", dddbs="postgres", ddh="127.0.0.1", ddps="orders-api")
    assert seen == comment + "SELECT 'dbm-probe'"
    assert (span.get_tag("_dd.dbm_trace_injected") == "true") == (mode == "full")


def test_dbm_full_mode_keeps_prepared_statements_stable_and_skips_callproc_and_fetches(patched, spans, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "full")
    monkeypatch.setattr(dd.config, "service", "orders-api")
    monkeypatch.setitem(dd.config.psycopg, "trace_fetch_methods", True)
    conn = psycopg.connect(PG_DSN)
    for _ in range(2):  # the same text both times: the server keeps one prepared statement
        conn.cursor().execute("SELECT %s::text", ("prepared",), prepare=True)
        span = spans.named("postgres.query")[-1]
        service = dbm_comment(span, "service", dddb="test", dddbs="postgres", ddh="127.0.0.1", ddps="orders-api")
        assert _seen_by_server(conn.info.backend_pid) == service + "SELECT $1::text"
    assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (1,)
    conn2 = psycopg2.connect(PG_DSN)
    cur = conn2.cursor()
    cur.execute("CREATE OR REPLACE FUNCTION ddi_echo(a int) RETURNS int AS 'SELECT a' LANGUAGE SQL")
    cur.callproc("ddi_echo", (1,))
    cur.fetchall()
    assert _seen_by_server(conn2.get_backend_pid()) == "SELECT * FROM ddi_echo(1)"
    conn2.commit()
    prepared = [s for s in spans.named("postgres.query") if s.resource == "SELECT %s::text"]
    assert len(prepared) == 2
    for span in (*prepared, spans.one("postgres.query", "ddi_echo")):
        assert span.get_tag("_dd.dbm_trace_injected") is None
    for name in ("postgres.query.fetchall", "postgres.connection.commit"):
        assert spans.one(name).get_tag("_dd.dbm_trace_injected") is None


async def test_connect_spans_only_with_trace_connect(patched, spans, monkeypatch):
    psycopg.connect(PG_DSN).close()
    assert spans.spans == []
    monkeypatch.setitem(dd.config.psycopg, "trace_connect", True)
    psycopg.connect(PG_DSN).close()
    psycopg2.connect(PG_DSN).close()
    await (await psycopg.AsyncConnection.connect(PG_DSN)).close()
    for name in ("psycopg.connection.connect", "psycopg2.connect", "psycopg.connection_async.connect"):
        assert_span(
            spans.one(name),
            service="postgres",
            resource=name,
            span_type="sql",
            meta={"component": "psycopg", "span.kind": "client", "db.system": "postgresql"},
            metrics={"_dd.measured": 1},
            absent=["out.host"],
        )
