"""The bad-input catalog for mysql-connector (sync and aio), PyMySQL and mysqlclient against the real MariaDB:
each case's traced outcome is the untraced one (computed here, with the plugins off), with its spans made or
its skip logged, and with DBM comments off and in full mode."""

from __future__ import annotations

import asyncio
import os
from typing import Any
from typing import Dict

import mysql.connector
import mysql.connector.aio
import MySQLdb
import pymysql
import pytest
from bad_sql import cases
from helpers import assert_same_and_traced
from helpers import outcome_on_connection
from helpers import patched_fixture
from helpers import untraced_then_traced

from ddtrace_integrations import _ddtrace as dd

HOST = os.environ.get("DDI_MYSQL_HOST", "127.0.0.1")
PORT = int(os.environ.get("DDI_MYSQL_PORT", "3306"))
ARGS = {"host": HOST, "port": PORT, "user": "root", "database": "test"}
FLAGS = {"mysql": True, "pymysql": True, "mysqldb": True}
DRIVERS: Dict[str, Any] = {  # name -> (connect, integration, query span name)
    "connector": (lambda: mysql.connector.connect(**ARGS), "mysql", "mysql.query"),
    "connector_aio": (lambda: mysql.connector.aio.connect(**ARGS, ssl_disabled=True), "mysql", "mysql.query"),
    "pymysql": (lambda: pymysql.connect(**ARGS), "pymysql", "pymysql.query"),
    "mysqldb": (lambda: MySQLdb.connect(**ARGS), "mysqldb", "mysql.query"),
}
CATALOG = cases("KILL CONNECTION_ID()")


patched = patched_fixture(scope="module", autouse=True, **FLAGS)


@pytest.mark.parametrize("dbm", ["disabled", "full"])
@pytest.mark.parametrize("name", sorted(CATALOG))
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_bad_input_behaves_as_untraced(driver, name, dbm, spans, caplog, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", dbm)
    connect, integration, span_name = DRIVERS[driver]
    case, count = CATALOG[name]

    def run() -> Any:
        # closing may fail: the case killed the connection, or the driver refuses to close twice
        return asyncio.run(outcome_on_connection(connect, lambda conn: case(conn, None), close_errors=True))

    untraced, traced = untraced_then_traced(run, spans, caplog, integration)
    assert_same_and_traced(
        untraced, traced, spans.named(span_name), count, caplog.records, integration, commented=dbm == "full"
    )
