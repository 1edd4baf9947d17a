"""The requests workload under ``ddtrace-run`` and under ``ddtrace-integrations run``, compared span by span."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_parity
from http_server import free_port

WORKLOAD = str(Path(__file__).with_name("workload.py"))

VARIANTS = {
    "default": {},
    "v1": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1"},
    "peer_service": {"DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED": "true"},
    "service_settings": {"DD_REQUESTS_SERVICE": "edge", "DD_SERVICE_MAPPING": "edge:edge-mapped", "DD_VERSION": "1.2"},
    "split_by_domain": {"DD_REQUESTS_SPLIT_BY_DOMAIN": "true"},
    "no_propagation": {"DD_REQUESTS_DISTRIBUTED_TRACING": "false"},
    "no_query_string": {"DD_TRACE_HTTP_CLIENT_TAG_QUERY_STRING": "false"},
    "header_tags": {"DD_TRACE_HEADER_TAGS": "user-agent:ua,x-served-by,x-sign"},
    "urllib3": {"DD_TRACE_URLLIB3_ENABLED": "true"},  # ddtrace's own urllib3 spans, under the requests spans
    # ddtrace 4.16 marks client spans by the server setting; it reads no DD_TRACE_HTTP_CLIENT_ERROR_STATUSES
    "error_statuses": {"DD_TRACE_HTTP_SERVER_ERROR_STATUSES": "400-499", "DD_TRACE_HTTP_CLIENT_ERROR_STATUSES": "500"},
}

# Reviewed differences, each documented in docs/differences.md. Key: (variant or "*", step or "*", field).
# An IPv6 host: ddtrace tags out.host "" (and so no peer.service), v2 the address. A fragment: ddtrace tags it in
# http.url (unless the URL has userinfo), v2 never.
ALLOWED = {("*", "refused_ipv6", "meta.out.host"), ("*", "fragment", "meta.http.url")} | {
    (variant, "refused_ipv6", field)
    for variant in ("v1", "peer_service")
    for field in ("meta.peer.service", "meta._dd.peer.service.source")
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_v2_matches_ddtrace(variant):
    env = {**VARIANTS[variant], "DDI_HTTP_PORT": str(free_port())}
    assert_parity(WORKLOAD, variant, env, ALLOWED, min_spans=20)
