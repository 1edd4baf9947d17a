"""Flask under bad input: a catalog of requests no client should send (odd URLs, hosts, methods, environ values
and headers of every shape), each served exactly as with the plugins off, with one request span; and a
property test: malformed ``traceparent``/``tracestate``/``x-datadog-*`` headers never break a request, and a
request span continues only a well-formed context the headers carried."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any
from typing import Dict
from typing import Iterator
from typing import Tuple

import pytest
from helpers import LONG
from helpers import MALFORMED_PROPAGATION
from helpers import assert_same_and_traced
from helpers import assert_valid_parent
from helpers import headers_strategy
from helpers import outcome
from helpers import plugins_off
from helpers import untraced_then_traced
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

import ddtrace_integrations

sys.path.insert(0, str(Path(__file__).parent))
import flask_app

# name -> (method, path, request options)
CASES: Dict[str, Tuple[str, str, Dict[str, Any]]] = {
    "query_64k": ("GET", "/users/7?q=" + LONG, {}),
    "query_tokens": ("GET", "/users/7?token=abc&password=x&x=%ff", {}),
    "query_non_utf8": ("GET", "/users/7", {"environ_overrides": {"QUERY_STRING": "\xff=\xfe&a"}}),
    "path_non_utf8": ("GET", "/", {"environ_overrides": {"PATH_INFO": "/greet/\xff\xfe"}}),
    "path_percent_garbage": ("GET", "/greet/%ff%00", {}),
    "unknown_route": ("GET", "/nope/\u2603", {}),
    "odd_method": ("BREW", "/users/7", {}),
    "lower_case_method": ("GET", "/users/7", {"environ_overrides": {"REQUEST_METHOD": "get"}}),
    "app_error": ("GET", "/boom", {}),
    "host_ipv6": ("GET", "/users/7", {"headers": {"Host": "[::1]:8080"}}),
    "host_garbage": ("GET", "/users/7", {"headers": {"Host": "exa mple:80:90"}}),
    "host_empty": ("GET", "/users/7", {"environ_overrides": {"HTTP_HOST": "", "SERVER_NAME": ""}}),
    "server_port_garbage": ("GET", "/users/7", {"environ_overrides": {"SERVER_PORT": "eighty"}}),
    "url_scheme_odd": ("GET", "/users/7", {"environ_overrides": {"wsgi.url_scheme": "ftp"}}),
    "remote_addr_garbage": ("GET", "/users/7", {"environ_overrides": {"REMOTE_ADDR": "not-an-ip"}}),
    "forwarded_for_garbage": ("GET", "/users/7", {"headers": {"X-Forwarded-For": "999.1.1.1, ::ffff:zz, unknown"}}),
    "bytes_header_value": ("GET", "/users/7", {"headers": {"X-Bytes": b"\xff\xfe"}}),
    "int_header_value": ("GET", "/users/7", {"headers": {"X-Int": 7}}),
    "duplicate_headers": ("GET", "/users/7", {"headers": [("X-Dup", "1"), ("x-dup", "2")]}),
    "non_latin1_header": ("GET", "/users/7", {"environ_overrides": {"HTTP_X_SNOW": "\u2603"}}),
    "huge_header": ("GET", "/users/7", {"headers": {"X-Huge": LONG, "User-Agent": LONG}}),
    "cookie_garbage": ("GET", "/users/7", {"headers": {"Cookie": '=;;a=\xff; b; c="unterminated'}}),
    "authorization_garbage": ("GET", "/users/7", {"headers": {"Authorization": "Basic !!!"}}),
    "malformed_propagation": ("GET", "/users/7", {"headers": MALFORMED_PROPAGATION}),
    "content_length_garbage": ("POST", "/greet/x", {"environ_overrides": {"CONTENT_LENGTH": "abc"}}),
}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    ddtrace_integrations.patch(flask=True)
    importlib.reload(flask_app)  # its Flask names imported after patching, as under `ddtrace-integrations run`
    yield flask_app.create_app().test_client()
    ddtrace_integrations.unpatch(flask=True)
    importlib.reload(flask_app)


def served(client: Any, method: str, path: str, options: Dict[str, Any]) -> Any:
    """What the caller sees; ``buffered`` closes the response, which ends the request span."""
    response = client.open(path, method=method, buffered=True, **options)
    return response.status_code, response.get_data(), sorted(response.headers.items())


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_request_is_served_as_untraced(client, name, spans, caplog):
    method, path, options = CASES[name]
    untraced, traced = untraced_then_traced(
        lambda: outcome(lambda: served(client, method, path, options)), spans, caplog, "flask"
    )
    found = spans.named("flask.request")
    error = traced[0] == "returned" and traced[1][0] >= 500
    assert_same_and_traced(untraced, traced, found, 1, caplog.records, "flask", error=error)


# Werkzeug's test client refuses header values with line breaks itself: those are no request at all.
_sendable = headers_strategy.map(lambda h: {k: v for k, v in h.items() if not set(v) & set("\r\n")})


@pytest.fixture(scope="module")
def untraced_user(client) -> Any:
    with plugins_off("flask"):
        return served(client, "GET", "/users/7", {})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=_sendable)
def test_any_propagation_headers_are_served_and_continue_only_wellformed_contexts(
    client, untraced_user, spans, headers
):
    spans.clear()
    assert served(client, "GET", "/users/7", {"headers": headers}) == untraced_user
    request = spans.one("flask.request")
    if request.parent_id:
        assert_valid_parent(request.trace_id, request.parent_id, [headers])
