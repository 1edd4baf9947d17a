"""The bad-input catalog for psycopg 3 (sync and async) and psycopg2 against the real PostgreSQL: each case's
traced outcome is the untraced one (computed here, with the plugins off), with its spans made or its skip
logged, and with DBM comments off and in full mode."""

from __future__ import annotations

import asyncio
from typing import Any
from typing import Dict

import psycopg
import psycopg2
import psycopg2.sql
import pytest
from bad_sql import cases
from bad_sql import composed
from helpers import PG_DSN
from helpers import assert_same_and_traced
from helpers import outcome_on_connection
from helpers import patched_fixture
from helpers import untraced_then_traced
from psycopg import sql

from ddtrace_integrations import _ddtrace as dd

KILL = "SELECT pg_terminate_backend(pg_backend_pid())"
DRIVERS: Dict[str, Any] = {  # name -> (connect, sql module)
    "psycopg": (lambda: psycopg.connect(PG_DSN), sql),
    "psycopg_async": (lambda: psycopg.AsyncConnection.connect(PG_DSN), sql),
    "psycopg2": (lambda: psycopg2.connect(PG_DSN), psycopg2.sql),
}
CATALOG = cases(KILL, extra={"sql_composed": (composed, 1)})


patched = patched_fixture(scope="module", autouse=True, psycopg=True)


@pytest.mark.parametrize("dbm", ["disabled", "full"])
@pytest.mark.parametrize("name", sorted(CATALOG))
@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_bad_input_behaves_as_untraced(driver, name, dbm, spans, caplog, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", dbm)
    connect, sql_module = DRIVERS[driver]
    case, count = CATALOG[name]

    def run() -> Any:
        return asyncio.run(outcome_on_connection(connect, lambda conn: case(conn, sql_module)))

    untraced, traced = untraced_then_traced(run, spans, caplog, "psycopg")
    found = spans.named("postgres.query")
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "psycopg", commented=dbm == "full")
