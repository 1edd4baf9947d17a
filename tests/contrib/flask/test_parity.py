"""The Flask workload under ``ddtrace-run`` and under ``ddtrace-integrations run``, compared span by span."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_parity
from http_server import free_port

WORKLOAD = str(Path(__file__).with_name("workload.py"))

VARIANTS = {
    "default": {},
    "v1": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1"},
    "no_distributed": {"DD_FLASK_DISTRIBUTED_TRACING_ENABLED": "false"},
    "client_ip_headers_query": {
        "DD_TRACE_CLIENT_IP_ENABLED": "true",
        "DD_TRACE_HEADER_TAGS": "user-agent:ua,x-served-by",
        "DD_HTTP_SERVER_TAG_QUERY_STRING": "true",
        "DD_FLASK_SERVICE": "shop",
    },
    "inferred_proxy": {"DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED": "true"},
}

# Reviewed differences, each documented in docs/differences.md. Key: (variant or "*", step or "*", field).
ALLOWED: set = set()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_v2_matches_ddtrace(variant):
    env = {**VARIANTS[variant], "DDI_HTTP_PORT": str(free_port()), "PYTHONPATH": str(Path(__file__).parent)}
    assert_parity(WORKLOAD, variant, env, ALLOWED, min_spans=60)
