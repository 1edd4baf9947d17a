"""The Starlette and FastAPI workloads (under uvicorn, and through Starlette's test client) under ``ddtrace-run`` and
under ``ddtrace-integrations run``, compared span by span."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_parity
from http_server import free_port

WORKLOAD = str(Path(__file__).with_name("workload.py"))


def variants(app: str) -> dict:
    prefix = f"DD_{app.upper()}"
    return {
        "default": {},
        "v1": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1"},
        "no_distributed": {f"{prefix}_DISTRIBUTED_TRACING": "false"},
        "service_headers_query": {
            f"{prefix}_SERVICE": "shop",
            "DD_TRACE_HEADER_TAGS": "user-agent:ua,x-user-id:user,content-type",
            "DD_HTTP_SERVER_TAG_QUERY_STRING": "true",
            "DD_TRACE_CLIENT_IP_ENABLED": "true",
        },
        "query_obfuscation": {"DD_TRACE_OBFUSCATION_QUERY_STRING_REGEXP": "kettle"},
        "obfuscate_404": {"DD_ASGI_OBFUSCATE_404_RESOURCE": "true"},
        "inferred_proxy": {"DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED": "true"},
        "global_service": {"DD_SERVICE": "store", "DD_VERSION": "1.2"},
    }


RUNS = [(app, v) for app in ("starlette", "fastapi") for v in sorted(variants(app))]
# Through the test client, the variants whose settings read the request itself (its headers, its caller's context)
TEST_CLIENT_VARIANTS = ("default", "no_distributed", "service_headers_query", "v1")

# Reviewed differences, each documented in docs/differences.md. Key: (variant or "*", step or "*", field).
# Under ASGI ddtrace copies the response status to the gateway's span only after the application returned, when
# that span already ended with the request span at the last body message: v2 copies it as the request ends.
ALLOWED = {(f"{app}-inferred_proxy", "GET /greet/{name}", "meta.http.status_code") for app in ("starlette", "fastapi")}


@pytest.mark.parametrize(("app", "variant"), RUNS)
def test_v2_matches_ddtrace(app, variant):
    env = {**variants(app)[variant], "DDI_HTTP_PORT": str(free_port()), "DDI_ASGI_APP": app}
    env["PYTHONPATH"] = str(Path(__file__).parent)
    assert_parity(WORKLOAD, f"{app}-{variant}", env, ALLOWED, min_spans=15)


@pytest.mark.parametrize("app", ("starlette", "fastapi"))
@pytest.mark.parametrize("variant", TEST_CLIENT_VARIANTS)
def test_v2_matches_ddtrace_through_the_test_client(app, variant):
    env = {**variants(app)[variant], "DDI_HTTP_PORT": "0", "DDI_ASGI_APP": app, "DDI_ASGI_SERVER": "testclient"}
    env["PYTHONPATH"] = str(Path(__file__).parent)
    assert_parity(WORKLOAD, f"{app}-testclient-{variant}", env, set(), min_spans=15)


WS_WORKLOAD = str(Path(__file__).with_name("ws_workload.py"))


def websocket_variants(app: str) -> dict:
    """What ddtrace's websocket settings imply: messages traced or not (also by the deprecated
    ``DD_ASGI_TRACE_WEBSOCKET``), in traces of their own or the handshake's, taking the handshake's sampling
    decision or not; the caller's context ignored; the v1 schema (which leaves a handshake's name)."""
    return {
        "default": {},
        "no_messages": {"DD_TRACE_WEBSOCKET_MESSAGES_ENABLED": "false"},
        "no_messages_deprecated": {"DD_ASGI_TRACE_WEBSOCKET": "false"},
        "same_trace": {"DD_TRACE_WEBSOCKET_MESSAGES_SEPARATE_TRACES": "false"},
        "no_inherit_sampling": {"DD_TRACE_WEBSOCKET_MESSAGES_INHERIT_SAMPLING": "false"},
        "no_distributed": {f"DD_{app.upper()}_DISTRIBUTED_TRACING": "false"},
        "v1_service": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1", "DD_SERVICE": "store"},
    }


WS_RUNS = [
    (app, server, v)
    for app in ("starlette", "fastapi")
    for server in ("testclient", "uvicorn")
    for v in sorted(websocket_variants(app))
]


@pytest.mark.parametrize(("app", "server", "variant"), WS_RUNS)
def test_websockets_match_ddtrace(app, server, variant):
    env = {**websocket_variants(app)[variant], "DDI_ASGI_APP": app, "DDI_WS_SERVER": server}
    env.update(DDI_HTTP_PORT=str(free_port()), PYTHONPATH=str(Path(__file__).parent))
    min_spans = 0 if variant.startswith("no_messages") else 20
    assert_parity(WS_WORKLOAD, f"{app}-ws-{server}-{variant}", env, set(), min_spans=min_spans)
