"""Starlette and FastAPI under bad input: ASGI scopes no server should send (header bytes of every shape, odd
hosts, clients, methods, paths and queries) handed to the application directly, each served exactly as with
the plugins off, with one request span; websocket scopes, messages and message sequences no server or
application should send, likewise with one handshake span; and a property test: malformed ``traceparent``/
``tracestate``/``x-datadog-*`` headers never break a request, and a request span continues only a well-formed
context."""

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


# name -> (changes to a well-formed websocket scope for /ws/echo/x or /ws/odd, what the server's receive returns)
TEXT = {"type": "websocket.receive", "text": "tea"}
WS_CASES: Dict[str, Tuple[Dict[str, Any], List[Any]]] = {
    "client_none": ({"client": None}, [TEXT]),
    "client_empty": ({"client": []}, [TEXT]),
    "client_not_a_pair": ({"client": 5}, [TEXT]),  # not traced (nor would an HTTP request be)
    "client_garbage": ({"client": ("not-an-ip", "port")}, [TEXT]),
    "no_path": ({"path": None}, [TEXT]),
    "no_headers_no_server": ({"headers": [], "server": None}, [TEXT]),
    "scheme_odd": ({"scheme": "gopher"}, [TEXT]),
    "subprotocols_odd": ({"subprotocols": [None, 5]}, [TEXT]),
    "method_on_a_websocket": ({"method": "GET"}, [TEXT]),
    "text_none": ({}, [{"type": "websocket.receive", "text": None, "bytes": b"x"}]),
    "text_not_text": ({}, [{"type": "websocket.receive", "text": 5}]),
    "text_lone_surrogate": ({}, [{"type": "websocket.receive", "text": "\ud800"}]),
    "no_text_no_bytes": ({}, [{"type": "websocket.receive"}]),
    "message_without_type": ({}, [{"text": "tea"}]),
    "message_not_a_dict": ({}, [["websocket.receive", "tea"]]),
    "disconnect_odd_code": ({}, [{"type": "websocket.disconnect", "code": "x", "reason": b"\xff"}]),
    "disconnect_code_not_a_value": ({}, [{"type": "websocket.disconnect", "code": [1000], "reason": object()}]),
    "receive_raises": ({}, [OSError("reset")]),
    "app_sends_odd_messages": ({"path": "/ws/odd"}, [TEXT]),
    "odd_sender_no_client": ({"path": "/ws/odd", "client": None}, [TEXT]),
}


def websocket_scope(**changes: Any) -> Dict[str, Any]:
    """A websocket scope (no method) for /ws/echo/x, with ``changes`` (None: the key left out)."""
    websocket = {"type": "websocket", "method": None, "scheme": "ws", "path": "/ws/echo/x", "raw_path": None}
    return scope(**{**websocket, **changes})


def serve_websocket(app: Any, scope: Dict[str, Any], incoming: List[Any]) -> Any:
    """What the server sees of one connection: the exception the application raised (if any) and the messages
    it sent, ``incoming`` received after the connect message, then a disconnect."""
    sent: List[Any] = []
    queue = [{"type": "websocket.connect"}, *incoming, {"type": "websocket.disconnect", "code": 1000}]

    async def receive() -> Any:
        message = queue.pop(0) if queue else {"type": "websocket.disconnect", "code": 1006}
        if isinstance(message, Exception):
            raise message
        return message

    async def send(message: Any) -> None:
        sent.append(dict(message))

    async def run() -> None:
        await app(dict(scope), receive, send)

    kind, value = outcome(lambda: asyncio.run(run()))
    return kind, (value if kind == "raised" else None, sent)


@pytest.fixture(scope="module", params=["starlette", "fastapi"])
def websocket_app(request: pytest.FixtureRequest, patched) -> Tuple[str, Any]:
    if request.param == "starlette":
        return request.param, asgi_apps.create_starlette_odd_websockets()
    return request.param, asgi_apps.create_fastapi_websockets()


@pytest.mark.parametrize("name", sorted(WS_CASES))
def test_bad_websocket_is_served_as_untraced(websocket_app, name, spans, caplog):
    framework, application = websocket_app
    changes, incoming = WS_CASES[name]
    if framework == "fastapi" and changes.get("path") == "/ws/odd":
        pytest.skip("the raw endpoint is a Starlette route")
    case = websocket_scope(**changes)
    untraced, traced = untraced_then_traced(lambda: serve_websocket(application, case, incoming), spans, caplog)
    found = spans.named(f"{framework}.request")
    # the handshake span ended when the connection was accepted: an error after that is not on it (as in ddtrace)
    accepted = any(m.get("type") == "websocket.accept" for m in traced[1][1])
    count = 0 if name == "client_not_a_pair" else 1
    error = traced[0] == "raised" and not accepted
    assert_same_and_traced(untraced, traced, found, count, caplog.records, framework, error=error)
