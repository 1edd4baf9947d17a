"""Starlette and FastAPI under bad input: ASGI scopes no server should send (header bytes of every shape, odd
hosts, clients, methods, paths and queries) handed to the application directly, each served exactly as with
the plugins off, with one request span; and a property test: malformed ``traceparent``/``tracestate``/
``x-datadog-*`` headers never break a request, and a request span continues only a well-formed context."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Tuple

import pytest
from helpers import LONG
from helpers import MALFORMED_PROPAGATION
from helpers import assert_same_and_traced
from helpers import assert_valid_parent
from helpers import headers_strategy
from helpers import outcome
from helpers import patched_fixture
from helpers import plugins_off
from helpers import untraced_then_traced
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))
import asgi_apps

patched = patched_fixture(autouse=True, scope="module", starlette=True, fastapi=True)
Headers = List[Tuple[bytes, bytes]]


def _encoded(headers: Dict[str, str]) -> Headers:
    return [(k.encode("latin-1"), v.encode("utf-8")) for k, v in headers.items()]


# name -> changes to a well-formed scope for GET /echo/x
CASES: Dict[str, Dict[str, Any]] = {
    "header_bytes_non_utf8": {"headers": [(b"host", b"t"), (b"x-bytes", b"\xff\xfe\x00")]},
    "header_name_non_ascii": {"headers": [(b"\xe2\x98\x83", b"snow")]},
    "duplicate_headers": {"headers": [(b"x-dup", b"1"), (b"X-Dup", b"2"), (b"host", b"a"), (b"host", b"b")]},
    "header_upper_case_names": {"headers": [(b"HOST", b"example"), (b"USER-AGENT", b"UA")]},
    "huge_header": {"headers": [(b"x-huge", LONG.encode()), (b"user-agent", LONG.encode())]},
    "no_headers": {"headers": []},
    "host_garbage": {"headers": [(b"host", b"exa mple:80:90")]},
    "host_ipv6": {"headers": [(b"host", b"[::1]:8080")]},
    "no_server_no_host": {"headers": [], "server": None},
    "server_odd_shape": {"headers": [], "server": ("unix-socket",)},
    "server_port_none": {"headers": [], "server": ("h", None)},
    "client_none": {"client": None},
    "client_garbage": {"client": ("not-an-ip", "port")},
    "client_as_list": {"client": ["127.0.0.1", 5]},
    "odd_method": {"method": "BREW"},
    "lower_case_method": {"method": "get"},
    "path_non_ascii": {"path": "/echo/\u2603", "raw_path": b"/echo/%E2%98%83"},
    "path_unknown": {"path": "/nope/\u2603"},
    "query_non_utf8": {"query_string": b"\xff=\xfe&a"},
    "query_64k": {"query_string": b"q=" + LONG.encode()},
    "query_tokens": {"query_string": b"token=abc&password=x&x=%ff"},
    "no_http_version": {"http_version": None},
    "no_asgi_key": {"asgi": None},
    "scheme_odd": {"scheme": "ftp"},
    "cookie_garbage": {"headers": [(b"cookie", b'=;;a=\xff; b; c="unterminated')]},
    "malformed_propagation": {"headers": _encoded(MALFORMED_PROPAGATION)},
    "app_error": {"path": "/boom"},
}


def scope(**changes: Any) -> Dict[str, Any]:
    base: Dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/echo/x",
        "raw_path": b"/echo/x",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def serve(app: Any, scope: Dict[str, Any]) -> Any:
    """What the server sees: the exception the application raised (if any) and the messages it sent."""
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(dict(message))

    async def run() -> None:
        await app(dict(scope), receive, send)

    kind, value = outcome(lambda: asyncio.run(run()))
    return kind, (value if kind == "raised" else None, sent)


@pytest.fixture(scope="module", params=["starlette", "fastapi"])
def app(request: pytest.FixtureRequest, patched) -> Tuple[str, Any]:
    create = asgi_apps.create_starlette if request.param == "starlette" else asgi_apps.create_fastapi
    return request.param, create()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_scope_is_served_as_untraced(app, name, spans, caplog):
    framework, application = app
    case = scope(**CASES[name])
    untraced, traced = untraced_then_traced(lambda: serve(application, case), spans, caplog, framework)
    found = spans.named(f"{framework}.request")
    error = traced[0] == "raised" or any(m.get("status", 0) >= 500 for m in traced[1][1])
    assert_same_and_traced(untraced, traced, found, 1, caplog.records, framework, error=error)


@pytest.fixture(scope="module")
def untraced_echo(app) -> Any:
    framework, application = app
    with plugins_off(framework):
        return serve(application, scope())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=headers_strategy)
def test_any_propagation_headers_are_served_and_continue_only_wellformed_contexts(app, untraced_echo, spans, headers):
    framework, application = app
    spans.clear()
    raw = [(k.encode("latin-1"), v.encode("utf-8", "surrogateescape")) for k, v in headers.items()]
    assert serve(application, scope(headers=[(b"host", b"testserver"), *raw])) == untraced_echo
    request = spans.one(f"{framework}.request")
    if request.parent_id:
        assert_valid_parent(request.trace_id, request.parent_id, [headers])
