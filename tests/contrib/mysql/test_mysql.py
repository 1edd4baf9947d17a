"""mysql-connector (sync and aio), PyMySQL and mysqlclient under v2 against the real MariaDB."""

from __future__ import annotations

import concurrent.futures
import os

import mysql.connector
import mysql.connector.aio
import MySQLdb
import pymysql
import pytest
import steps
from ddtrace.trace import tracer
from helpers import assert_no_secret
from helpers import assert_span
from helpers import dbm_comment

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd

HOST = os.environ.get("DDI_MYSQL_HOST", "127.0.0.1")
PORT = int(os.environ.get("DDI_MYSQL_PORT", "3306"))
ARGS = {"host": HOST, "port": PORT, "user": "root"}
# stored procedures are shared by every connection: each suite run has its own
PROC, PROBE_PROC = steps.own("ddi_proc", sep="_"), steps.own("ddi_probe_proc", sep="_")
# name -> (connect, query span name, service, component, server-side connection id)
DRIVERS = {
    "connector": (
        lambda **kw: mysql.connector.connect(**ARGS, **kw),
        "mysql.query",
        "mysql",
        "mysql",
        lambda conn: conn.connection_id,
    ),
    "pymysql": (
        lambda **kw: pymysql.connect(**ARGS, **kw),
        "pymysql.query",
        "pymysql",
        "pymysql",
        lambda c: c.thread_id(),
    ),
    "mysqldb": (lambda **kw: MySQLdb.connect(**ARGS, **kw), "mysql.query", "mysql", "mysqldb", lambda c: c.thread_id()),
}
FLAGS = {"mysql": True, "pymysql": True, "mysqldb": True}


def conn_meta(component: str) -> dict:
    return {
        "component": component,
        "span.kind": "client",
        "db.system": "mysql",
        "db.user": "root",
        "out.host": HOST,
        "server.address": HOST,
        "_dd.svc_src": component,
    }


@pytest.fixture
def patched():
    ddtrace_integrations.patch(**FLAGS)
    yield
    ddtrace_integrations.unpatch(**FLAGS)


@pytest.fixture(params=sorted(DRIVERS))
def driver(request, patched):
    return DRIVERS[request.param]


def test_query_span_tags_and_row_count(driver, spans):
    connect, name, service, component, _ = driver
    conn = connect(database="test")
    cur = conn.cursor()
    cur.execute("CREATE TEMPORARY TABLE rc (n int)")
    cur.executemany("INSERT INTO rc VALUES (%s)", [(1,), (2,), (3,)])
    cur.execute("UPDATE rc SET n = n + 1 WHERE n > %s", (1,))
    assert cur.rowcount == 2
    conn.close()
    meta = {**conn_meta(component), "db.name": "test"}
    metrics = {"network.destination.port": PORT, "_dd.measured": 1}
    assert_span(
        spans.one(name, "UPDATE rc SET n = n + 1 WHERE n > %s"),
        service=service,
        span_type="sql",
        meta=meta,
        metrics={**metrics, "db.row_count": 2},
    )
    # executemany is one span, whatever the driver runs inside it
    many = spans.one(name, "INSERT INTO rc VALUES (%s)")
    assert_span(many, meta={**meta, "sql.executemany": "true"}, metrics={**metrics, "db.row_count": 3})


def test_no_database_means_no_db_name_tag(driver, spans):
    conn = driver[0]()
    conn.cursor().execute("SELECT 1")
    conn.close()
    assert_span(spans.one(driver[1], "SELECT 1"), meta=conn_meta(driver[3]), absent=["db.name"])


def test_errors_pass_through_and_are_tagged(driver, spans):
    conn = driver[0](database="test")
    with pytest.raises(Exception) as raised:
        conn.cursor().execute("SELEC broken")
    assert "syntax" in str(raised.value)
    lost = driver[0]().cursor()
    with pytest.raises(Exception) as killed:
        lost.execute("KILL CONNECTION_ID()")
    with pytest.raises(Exception) as gone:
        lost.execute("SELECT 'after kill'")
    conn.close()
    assert_span(
        spans.one(driver[1], "SELEC broken"),
        error=1,
        meta={"error.type": type(raised.value).__module__ + "." + type(raised.value).__name__},
    )
    assert_span(spans.one(driver[1], "KILL CONNECTION_ID()"), error=1)
    assert_span(
        spans.one(driver[1], "SELECT 'after kill'"),
        error=1,
        meta={"error.type": f"{type(gone.value).__module__}.{type(gone.value).__name__}"},
    )
    assert killed.value is not None


def test_callproc_commit_and_rollback(driver, spans):
    connect, name, _, component, _ = driver
    conn = connect(database="test")
    cur = conn.cursor()
    cur.execute(f"DROP PROCEDURE IF EXISTS {PROC}")
    cur.execute(f"CREATE PROCEDURE {PROC}(IN a INT) BEGIN SELECT a + 1; END")
    cur.callproc(PROC, (1,))
    cur.fetchall()
    while cur.nextset():
        pass
    conn.commit()
    conn.rollback()
    conn.close()
    # one span for callproc: the driver's own SET/CALL statements inside it are not spans
    resources = [s.resource for s in spans.named(name)]
    assert resources[-1] == PROC and not [r for r in resources if "CALL" in r or f"@_{PROC}" in r]
    vendor = {"connector": "mysql", "pymysql": "pymysql", "mysqldb": "MySQLdb"}[
        next(k for k, v in DRIVERS.items() if v is driver)
    ]
    for method in ("commit", "rollback"):
        span = spans.one(f"{vendor}.connection.{method}")
        assert_span(span, meta={**conn_meta(component), "db.name": "test"}, absent=["_dd.measured"])


def test_password_never_reaches_a_tag(driver, spans):
    conn = driver[0](password="", database="test")
    conn.cursor().execute("SELECT 'Sup3rSecretPw' IS NOT NULL")
    conn.close()
    secret_free = [s for s in spans.spans if s.resource != "SELECT 'Sup3rSecretPw' IS NOT NULL"]
    assert_no_secret(secret_free, "Sup3rSecretPw")


def test_connections_used_from_threads_parent_their_own_queries(driver, spans):
    connect, name = driver[0], driver[1]

    def work(i: int) -> int:
        conn = connect(database="test")
        try:
            with tracer.trace("job", resource=str(i)):
                cur = conn.cursor()
                cur.execute(f"SELECT {i}, SLEEP(0.01)")
                return cur.fetchall()[0][0]
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, range(8))) == list(range(8))
    for i in range(8):
        job, query = spans.one("job", str(i)), spans.one(name, f"SELECT {i}, SLEEP(0.01)")
        assert (query.trace_id, query.parent_id) == (job.trace_id, job.span_id)


# --- where v2 decides differently from ddtrace 4.16 (docs/differences.md) ---


async def test_mysql_connector_aio_is_traced_whatever_the_import_order(patched, spans):
    conn = await mysql.connector.aio.connect(**ARGS, database="test", ssl_disabled=True)
    cur = await conn.cursor()
    await cur.execute("SELECT 2")
    assert await cur.fetchall() == [(2,)]
    await conn.commit()
    await conn.close()
    assert_span(
        spans.one("mysql.query", "SELECT 2"),
        service="mysql",
        meta={**conn_meta("mysql"), "db.name": "test"},
        metrics={"network.destination.port": PORT, "_dd.measured": 1},
    )
    assert spans.one("mysql.connection.commit")


def test_pymysql_connections_made_without_connect_are_traced(patched, spans):
    for factory in (pymysql.Connect, pymysql.Connection, pymysql.connections.Connection):
        conn = factory(**ARGS)
        conn.cursor().execute(f"SELECT '{factory.__name__}'")
        conn.close()
    assert len(spans.named("pymysql.query")) == 3


def test_mysqldb_database_keyword_names_the_database(patched, spans):
    conn = MySQLdb.connect(**ARGS, database="test")
    conn.cursor().execute("SELECT 3")
    conn.close()
    assert_span(spans.one("mysql.query", "SELECT 3"), meta={"db.name": "test"})


def test_mysqldb_connect_span_only_with_trace_connect(patched, spans, monkeypatch):
    MySQLdb.connect(**ARGS).close()
    assert spans.named("MySQLdb.connection.connect") == []
    monkeypatch.setitem(dd.config.mysqldb, "trace_connect", True)
    MySQLdb.connect(**ARGS).close()
    assert_span(spans.one("MySQLdb.connection.connect"), service="mysql", span_type="sql", metrics={"_dd.measured": 1})


# --- DBM, proven by MariaDB's general log ---


@pytest.fixture
def general_log():
    admin = pymysql.connect(**ARGS, autocommit=True)
    cur = admin.cursor()
    cur.execute("SELECT @@global.general_log, @@global.log_output")
    before = cur.fetchone()
    cur.execute("SET GLOBAL log_output = 'TABLE'")
    cur.execute("SET GLOBAL general_log = 'ON'")
    # The log table outlives the server process and thread ids restart with it: only this test's rows count.
    cur.execute("SELECT NOW(6)")
    (since,) = cur.fetchone()

    def statements(thread_id: int, marker: str) -> list:
        cur.execute(
            "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log"
            " WHERE event_time >= %s AND thread_id = %s AND command_type IN ('Query', 'Execute')"
            " AND argument LIKE %s",
            (since, thread_id, f"%{marker}%"),
        )
        return [row[0] for row in cur.fetchall()]

    yield statements
    cur.execute(f"SET GLOBAL general_log = {int(before[0])}")
    cur.execute("SET GLOBAL log_output = %s", (before[1],))
    admin.close()


@pytest.mark.parametrize("mode", ["service", "full"])
def test_dbm_comment_reaches_mariadb(driver, spans, monkeypatch, general_log, mode):
    connect, name, service, _, thread_id = driver
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", mode)
    monkeypatch.setattr(dd.config, "service", "orders-api")
    conn = connect(database="test")
    conn.cursor().execute("SELECT 'dbm-probe'")
    seen = general_log(thread_id(conn), "dbm-probe")
    conn.close()
    span = spans.one(name, "SELECT 'dbm-probe'")
    comment = dbm_comment(span, mode, dddb="test", dddbs=service, ddh=HOST, ddps="orders-api")
    assert seen == [comment + "SELECT 'dbm-probe'"]


def test_dbm_full_mode_keeps_prepared_statements_stable_and_skips_callproc(patched, spans, monkeypatch, general_log):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "full")
    monkeypatch.setattr(dd.config, "service", "orders-api")
    conn = mysql.connector.connect(**ARGS, database="test")
    cur = conn.cursor(prepared=True)
    for _ in range(2):
        cur.execute("SELECT %s AS prepared_probe", (1,))
        cur.fetchall()
    plain = conn.cursor()
    plain.execute(f"DROP PROCEDURE IF EXISTS {PROBE_PROC}")
    plain.execute(f"CREATE PROCEDURE {PROBE_PROC}() BEGIN SELECT 'proc_probe'; END")
    plain.callproc(PROBE_PROC)
    span = spans.named("mysql.query")[0]
    service = dbm_comment(span, "service", dddb="test", dddbs="mysql", ddh=HOST, ddps="orders-api")
    # one Prepare (the statement text never changes), two Executes
    assert general_log(conn.connection_id, "prepared_probe") == [service + "SELECT 1 AS prepared_probe"] * 2
    assert span.get_tag("_dd.dbm_trace_injected") is None
    assert [q for q in general_log(conn.connection_id, f"CALL {PROBE_PROC}") if "/*" in q] == []
    assert spans.one("mysql.query", PROBE_PROC).get_tag("_dd.dbm_trace_injected") is None
    conn.close()
