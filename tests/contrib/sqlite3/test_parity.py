"""The sqlite3 workload under ``ddtrace-run`` and under ``ddtrace-integrations run``, compared span by span."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_parity

WORKLOAD = str(Path(__file__).with_name("workload.py"))

VARIANTS = {
    "default": {},
    "v1": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1"},
    "peer_service": {"DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED": "true", "DD_TRACE_PEER_SERVICE_MAPPING": "test:x"},
    "dbm_full": {"DD_DBM_PROPAGATION_MODE": "full"},  # ddtrace's sqlite integration sends no comment: nor does v2
    "service_settings": {"DD_SQLITE_SERVICE": "lite-main", "DD_SERVICE_MAPPING": "lite-main:lite-mapped"},
    "global_service": {"DD_SERVICE": "app", "DD_VERSION": "1.2"},
    "optional_spans": {"DD_SQLITE_TRACE_FETCH_METHODS": "true"},
}

# Reviewed differences, each documented in docs/differences.md. Key: (variant or "*", step, field).
ALLOWED = {
    ("*", "script", "<span>"),  # executescript is traced
    ("*", "shortcut_many_and_script", "<span>"),  # so are a connection's executemany and executescript
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_v2_matches_ddtrace(variant):
    assert_parity(WORKLOAD, variant, VARIANTS[variant], ALLOWED, min_spans=20)
