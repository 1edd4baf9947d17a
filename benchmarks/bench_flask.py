"""Cost of tracing one Flask request, in one process.

Run: ``python benchmarks/bench_flask.py`` (about 20 s) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call: the test client's ``get("/users/7")`` (response closed) on an app made once per configuration's
state: one route with a converter, a view returning text, no hooks. Traced, it is the full default span tree.
Untraced, bare span (one span with the tags of ddtrace's ``flask.request``), ddtrace (its own integration),
v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
from typing import Any
from typing import List
from typing import Optional

import blinker
import flask
import flask.signals
from _harness import Call
from _harness import Case
from _harness import main

# flask.request, flask.application (the WSGI app), flask.preprocess_request, flask.dispatch_request, the view
# (<module>.user), flask.process_response, flask.do_teardown_request, flask.do_teardown_appcontext, flask.response
SPANS = 9


def request(mode: str) -> Call:
    app = flask.Flask(f"bench_{mode}")

    @app.route("/users/<int:uid>")
    def user(uid: int) -> str:
        return f"user {uid}"

    client = app.test_client()

    def call() -> Any:
        response = client.get("/users/7")
        response.close()
        return response

    return call


def signals() -> List[Any]:
    """Both integrations wrap the ``receivers_for`` of Flask's signal objects (attributes of instances)."""
    return [value for value in vars(flask.signals).values() if isinstance(value, blinker.Signal)]


def run(argv: Optional[List[str]] = None) -> None:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("flask", "werkzeug"))
    cases = [Case("Flask request (test client)", "flask", "flask", request, spans=SPANS)]
    main(__doc__, lambda: cases, ("flask", "werkzeug", "jinja2"), versions=versions, extra=signals, argv=argv)


if __name__ == "__main__":
    run()
