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
from helpers import assert_concurrent_requests
from helpers import http_get

import ddtrace_integrations

sys.path.insert(0, str(Path(__file__).parent))
import flask_app

THREADS, CALLS_PER_THREAD = 64, 10


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
    assert_concurrent_requests(
        spans,
        "flask.request",
        lambda mark: http_get(f"{served}/greet/{mark}"),
        lambda mark: f"<p>Hello {mark}</p>".encode(),
        {"flask.request", "flask_app.greet", "flask.render_template_string"},
        THREADS,
        CALLS_PER_THREAD,
    )
