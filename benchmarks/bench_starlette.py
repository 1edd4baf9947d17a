"""Cost of tracing one Starlette request and one FastAPI request, in one process.

Run: ``python benchmarks/bench_starlette.py`` (about 20 s) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call: Starlette's test client's ``get("/users/7")`` on an app made once per configuration's state: one route
with a converter, an endpoint returning text (Starlette) or a dict (FastAPI, which serializes it). Traced:
``starlette.request``; ``fastapi.request`` and ``fastapi.serialize_response``. Untraced, bare span (one span with
the tags of ddtrace's request span), ddtrace (its own integrations), v2 and v2 disabled (see _harness.py).
The test client runs the application on an event loop in a thread of its own: most of a call is that trip.
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
import warnings
from typing import Any
from typing import List
from typing import Optional

from _harness import Call
from _harness import Case
from _harness import main

warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")


def starlette_request(mode: str) -> Call:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def user(request: Any) -> Any:
        return PlainTextResponse(f"user {request.path_params['uid']}")

    client = TestClient(Starlette(routes=[Route("/users/{uid:int}", user)]))
    return lambda: client.get("/users/7")


def fastapi_request(mode: str) -> Call:
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    app = FastAPI()

    @app.get("/users/{uid}")
    async def user(uid: int) -> Any:
        return {"user": uid}

    client = TestClient(app)
    return lambda: client.get("/users/7")


def run(argv: Optional[List[str]] = None) -> None:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("starlette", "fastapi"))
    cases = [
        Case("Starlette request (test client)", "starlette", "starlette", starlette_request),
        Case("FastAPI request (test client)", "fastapi", "fastapi", fastapi_request, spans=2),
    ]
    main(__doc__, lambda: cases, ("starlette", "fastapi"), versions=versions, argv=argv)


if __name__ == "__main__":
    run()
