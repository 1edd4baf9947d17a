"""Cost of tracing one Starlette request and one FastAPI request, in one process.

Run: ``python benchmarks/bench_starlette.py`` (about 20 s) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call: ``GET /users/7`` on an app made once per configuration's state (one route with a converter, an endpoint
returning text (Starlette) or a dict (FastAPI, which serializes it)), called as a server calls it: one prebuilt
scope, on the harness's event loop, so this thread's CPU time is the whole request. (Starlette's test client would
run the app on a thread of its own, whose CPU time this thread's clock does not see.) Traced: ``starlette.request``;
``fastapi.request`` and ``fastapi.serialize_response``. Untraced, bare span (one span with the tags of ddtrace's
request span), ddtrace (its own integrations), v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from _harness import Call
from _harness import Case
from _harness import main

SCOPE = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http"}
SCOPE.update(path="/users/7", raw_path=b"/users/7", root_path="", query_string=b"", headers=[(b"host", b"bench")])
SCOPE.update(client=("127.0.0.1", 50000), server=("bench", 80))


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def user(request: Any) -> Any:
        return PlainTextResponse(f"user {request.path_params['uid']}")

    return Starlette(routes=[Route("/users/{uid:int}", user)])


def fastapi_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/users/{uid}")
    async def user(uid: int) -> Any:
        return {"user": uid}

    return app


def asgi(app: Callable[[], Any]) -> Callable[[str], Call]:
    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        pass

    def make(mode: str) -> Call:
        application = app()

        async def call() -> Any:
            return await application(dict(SCOPE), receive, send)

        return call

    return make


def run(argv: Optional[List[str]] = None) -> None:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("starlette", "fastapi"))
    cases = [
        Case("Starlette request (ASGI call)", "starletteasgi", "starlette", asgi(starlette_app)),
        Case("FastAPI request (ASGI call)", "fastapiasgi", "fastapi", asgi(fastapi_app), spans=2),
    ]
    main(__doc__, lambda: cases, ("starlette", "fastapi"), versions=versions, argv=argv)


if __name__ == "__main__":
    run()
