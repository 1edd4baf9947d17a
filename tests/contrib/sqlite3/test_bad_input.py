"""The bad-input catalog for sqlite3: each case's traced outcome is the untraced one (computed here, with the
plugins off), with its spans made, with DBM comments off and in full mode (sqlite3's queries get none)."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from bad_sql import CASES
from bad_sql import execute
from helpers import assert_same_and_traced
from helpers import outcome_on_connection
from helpers import patched_fixture
from helpers import untraced_then_traced

from ddtrace_integrations import _ddtrace as dd

CATALOG = {
    **CASES,
    "named_params_missing": (execute("SELECT :a, :b", {"a": 1}), 1),
    "script_none": (execute(None, method="executescript"), 1),
    "script_bytes": (execute(b"SELECT 1;", method="executescript"), 1),
    "script_with_error": (execute("SELECT 1; SELEC 2;", method="executescript"), 1),
    "nul_character": (execute("SELECT 1\x00"), 1),
}

patched = patched_fixture(scope="module", autouse=True, sqlite3=True)


@pytest.mark.parametrize("dbm", ["disabled", "full"])
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_bad_input_behaves_as_untraced(name, dbm, spans, caplog, monkeypatch):
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", dbm)
    case, count = CATALOG[name]

    def run() -> Any:
        return asyncio.run(outcome_on_connection(lambda: sqlite3.connect(":memory:"), lambda conn: case(conn, None)))

    untraced, traced = untraced_then_traced(run, spans, caplog, "sqlite3")
    found = spans.named("sqlite.query")
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "sqlite3")
