"""Flask under load: Werkzeug's threaded server, 64 untraced clients at once, each request to its own path.
Each request makes one trace of exactly the spans a lone request makes, with its own path and nothing of
another request's."""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest
from helpers import assert_request_traces
from helpers import http_get
from helpers import in_threads
from helpers import marker
from helpers import trace_shape
from helpers import wait_for_spans

import ddtrace_integrations

sys.path.insert(0, str(Path(__file__).parent))
import flask_app

THREADS, CALLS_PER_THREAD = 64, 10
REQUESTS = THREADS * CALLS_PER_THREAD


@pytest.fixture
def served() -> Iterator[str]:
    """The app, created after patching, behind Werkzeug's threaded server (a thread per request)."""
    from werkzeug.serving import make_server

    ddtrace_integrations.patch(flask=True)
    importlib.reload(flask_app)  # `from flask import jsonify` after patching, as under `ddtrace-integrations run`
    server = make_server("127.0.0.1", 0, flask_app.create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    ddtrace_integrations.unpatch(flask=True)
    importlib.reload(flask_app)


def test_64_concurrent_clients_each_get_a_trace_of_their_own_request(served, spans):
    lone = marker(REQUESTS)  # a mark no concurrent request uses
    assert http_get(f"{served}/greet/{lone}") == (200, f"<p>Hello {lone}</p>".encode())
    wait_for_spans(spans, "flask.request", 1)
    reference = trace_shape(spans.spans, lone)
    names = {row[0] for row in reference}
    assert {"flask.request", "flask_app.greet", "flask.render_template_string"} <= names, names
    spans.clear()

    results = in_threads(THREADS, CALLS_PER_THREAD, lambda i: http_get(f"{served}/greet/{marker(i)}"))
    assert results == [(200, f"<p>Hello {marker(i)}</p>".encode()) for i in range(REQUESTS)]
    wait_for_spans(spans, "flask.request", REQUESTS)
    assert_request_traces(spans.spans, [marker(i) for i in range(REQUESTS)], reference)
