"""Django under bad input, through WSGI (Django's test client: ``BaseHandler.get_response``) and ASGI (the
application ``get_asgi_application()`` returns, called with raw scopes, byte headers included): a catalog of
requests no client should send, each served exactly as with the plugins off, with one request span; and
property tests: malformed ``traceparent``/``tracestate``/``x-datadog-*`` headers (on ASGI as arbitrary bytes,
non-UTF-8 and repeated names too) never break a request, and a request span continues only a well-formed
context the headers carried."""

from __future__ import annotations

import asyncio
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Tuple

import pytest
from helpers import LONG
from helpers import MALFORMED_PROPAGATION
from helpers import asgi_call
from helpers import assert_same_and_traced
from helpers import assert_valid_parent
from helpers import candidate_headers
from helpers import headers_strategy
from helpers import outcome
from helpers import plugins_off
from helpers import raw_headers_strategy
from helpers import untraced_then_traced
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

# WSGI: name -> (method, path, headers, WSGI environ entries)
WSGI_CASES: Dict[str, Tuple[str, str, Dict[str, Any], Dict[str, Any]]] = {
    "query_64k": ("GET", "/items/x?q=" + LONG, {}, {}),
    "query_tokens": ("GET", "/items/x?token=abc&password=x&x=%ff", {}, {}),
    "query_non_utf8": ("GET", "/items/x", {}, {"QUERY_STRING": "\xff=\xfe&a"}),
    "path_percent_garbage": ("GET", "/items/%ff%00", {}, {}),
    "unknown_route": ("GET", "/nope/\u2603", {}, {}),
    "odd_method": ("BREW", "/items/x", {}, {}),
    "app_error": ("GET", "/boom", {}, {}),
    "host_ipv6": ("GET", "/items/x", {"host": "[::1]:8080"}, {}),
    "host_garbage": ("GET", "/items/x", {"host": "exa mple:80:90"}, {}),
    "server_port_garbage": ("GET", "/items/x", {}, {"SERVER_PORT": "eighty"}),
    "url_scheme_odd": ("GET", "/items/x", {}, {"wsgi.url_scheme": "ftp"}),
    "remote_addr_garbage": ("GET", "/items/x", {}, {"REMOTE_ADDR": "not-an-ip"}),
    "forwarded_for_garbage": ("GET", "/items/x", {"x-forwarded-for": "999.1.1.1, ::ffff:zz, unknown"}, {}),
    "int_header_value": ("GET", "/headers", {"x-int": 7}, {}),
    "non_latin1_header": ("GET", "/headers", {"x-snow": "\u2603"}, {}),
    "huge_header": ("GET", "/headers", {"x-huge": LONG, "user-agent": LONG}, {}),
    "cookie_garbage": ("GET", "/headers", {"cookie": '=;;a=\xff; b; c="unterminated'}, {}),
    "authorization_garbage": ("GET", "/headers", {"authorization": "Basic !!!"}, {}),
    "malformed_propagation": ("GET", "/headers", MALFORMED_PROPAGATION, {}),
    "content_length_garbage": ("POST", "/items/x", {}, {"CONTENT_LENGTH": "abc"}),
}
Pairs = List[Tuple[bytes, bytes]]
# ASGI: name -> (method, path, query string, headers)
ASGI_CASES: Dict[str, Tuple[str, str, bytes, Pairs]] = {
    "query_64k": ("GET", "/items/x", b"q=" + LONG.encode(), []),
    "query_non_utf8": ("GET", "/items/x", b"\xff=\xfe&a=%ff", []),
    "path_non_ascii": ("GET", "/items/\u2603", b"", []),
    "unknown_route": ("GET", "/nope", b"", []),
    "odd_method": ("BREW", "/items/x", b"", []),
    "app_error": ("GET", "/boom", b"", []),
    "no_host": ("GET", "/items/x", b"", []),
    "host_ipv6": ("GET", "/items/x", b"", [(b"host", b"[::1]:8080")]),
    "host_non_utf8": ("GET", "/items/x", b"", [(b"host", b"\xff\xfe")]),
    "duplicate_headers": ("GET", "/headers", b"", [(b"x-dup", b"1"), (b"x-dup", b"2")]),
    "non_utf8_header_value": ("GET", "/headers", b"", [(b"x-bytes", b"\xff\xfe")]),
    "non_utf8_header_name": ("GET", "/headers", b"", [(b"x-\xff", b"v")]),
    "upper_case_header_name": ("GET", "/headers", b"", [(b"X-Upper", b"v")]),
    "huge_header": ("GET", "/headers", b"", [(b"x-huge", LONG.encode())]),
    "cookie_garbage": ("GET", "/headers", b"", [(b"cookie", b"=;;a=\xff; b")]),
    "forwarded_for_garbage": ("GET", "/items/x", b"", [(b"x-forwarded-for", b"999.1.1.1, \xff, unknown")]),
    "malformed_propagation": (
        "GET",
        "/headers",
        b"",
        [(k.encode(), v.encode()) for k, v in MALFORMED_PROPAGATION.items()],
    ),
    "propagation_non_utf8": (
        "GET",
        "/headers",
        b"",
        [(b"traceparent", b"00-\xff\xfe-01"), (b"x-datadog-trace-id", b"\xff")],
    ),
    "propagation_repeated": (
        "GET",
        "/headers",
        b"",
        [(b"x-datadog-trace-id", b"1"), (b"x-datadog-trace-id", b"2"), (b"x-datadog-parent-id", b"3")],
    ),
}


@pytest.fixture(scope="module")
def wsgi_client(django_app) -> Any:
    from django.test import Client

    return Client(raise_request_exception=False)


@pytest.fixture(scope="module")
def asgi_app(django_app) -> Any:
    from django.core.asgi import get_asgi_application

    return get_asgi_application()  # as patched: the request span is the ASGI application's


def wsgi_served(client: Any, method: str, path: str, headers: Dict[str, Any], environ: Dict[str, Any]) -> Any:
    response = client.generic(method, path, headers=headers, **environ)
    return response.status_code, response.content, sorted(response.items())


def asgi_served(app: Any, method: str, path: str, query: bytes, headers: Pairs) -> Any:
    return asyncio.run(asgi_call(app, method, path, query, headers))


def served_as_untraced(serve: Callable[[], Any], spans: Any, caplog: Any) -> None:
    """The request ``serve()`` makes is served as with the plugins off, with one request span (an error for a
    5xx response)."""
    untraced, traced = untraced_then_traced(lambda: outcome(serve), spans, caplog, "django")
    error = traced[0] == "returned" and traced[1][0] >= 500
    assert_same_and_traced(untraced, traced, spans.named("django.request"), 1, caplog.records, "django", error=error)


@pytest.mark.parametrize("name", sorted(WSGI_CASES))
def test_bad_wsgi_request_is_served_as_untraced(wsgi_client, name, spans, caplog):
    served_as_untraced(lambda: wsgi_served(wsgi_client, *WSGI_CASES[name]), spans, caplog)


@pytest.mark.parametrize("name", sorted(ASGI_CASES))
def test_bad_asgi_request_is_served_as_untraced(asgi_app, name, spans, caplog):
    served_as_untraced(lambda: asgi_served(asgi_app, *ASGI_CASES[name]), spans, caplog)


SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def untraced_item(wsgi_client, asgi_app) -> Any:
    with plugins_off("django"):
        return wsgi_served(wsgi_client, "GET", "/items/x", {}, {}), asgi_served(asgi_app, "GET", "/items/x", b"", [])


@SETTINGS
@given(headers=headers_strategy)
def test_wsgi_any_propagation_headers_are_served_and_continue_only_wellformed_contexts(
    wsgi_client, untraced_item, spans, headers
):
    spans.clear()
    assert wsgi_served(wsgi_client, "GET", "/items/x", headers, {}) == untraced_item[0]
    request = spans.one("django.request")
    if request.parent_id:
        assert_valid_parent(request.trace_id, request.parent_id, [headers])


@SETTINGS
@given(headers=raw_headers_strategy)
def test_asgi_any_propagation_headers_are_served_and_continue_only_wellformed_contexts(
    asgi_app, untraced_item, spans, headers
):
    spans.clear()
    assert asgi_served(asgi_app, "GET", "/items/x", b"", headers) == untraced_item[1]
    request = spans.one("django.request")
    if request.parent_id:
        assert_valid_parent(
            request.trace_id, request.parent_id, candidate_headers(headers, lambda v: v.decode("latin-1"))
        )
