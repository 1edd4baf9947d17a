"""The MySQL drivers workload under ``ddtrace-run`` and under ``ddtrace-integrations run``, compared span by span."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_parity

WORKLOAD = str(Path(__file__).with_name("workload.py"))

VARIANTS = {
    "default": {},
    "v1": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1"},
    "peer_service": {"DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED": "true", "DD_TRACE_PEER_SERVICE_MAPPING": "test:mariadb"},
    "dbm_full": {"DD_DBM_PROPAGATION_MODE": "full"},
    "dbm_service": {"DD_DBM_PROPAGATION_MODE": "service"},
    "dbm_dynamic_service": {"DD_DBM_PROPAGATION_MODE": "dynamic_service"},
    "service_settings": {
        "DD_MYSQL_SERVICE": "my-main",
        "DD_PYMYSQL_SERVICE": "py-main",
        "DD_MYSQLDB_SERVICE": "mysqldb-main",
        "DD_SERVICE_MAPPING": "py-main:py-mapped",
    },
    "optional_spans": {
        "DD_MYSQL_TRACE_FETCH_METHODS": "true",
        "DD_PYMYSQL_TRACE_FETCH_METHODS": "true",
        "DD_MYSQLDB_TRACE_FETCH_METHODS": "true",
        "DD_MYSQLDB_TRACE_CONNECT": "true",
    },
}

# Reviewed differences, each documented in docs/differences.md. Key: (variant or "*", step, field).
ALLOWED = {
    # A prepared cursor's statement gets the service comment only: no traceparent, not tagged.
    ("dbm_full", "connector prepared", "meta._dd.dbm_trace_injected"),
    # v2's connect span is a DatabasePlugin span like the others and names its db.system.
    ("optional_spans", "*", "meta.db.system"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_v2_matches_ddtrace(variant):
    assert_parity(WORKLOAD, variant, VARIANTS[variant], ALLOWED, min_spans=20)
