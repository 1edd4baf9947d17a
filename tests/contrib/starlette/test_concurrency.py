"""Starlette and FastAPI under load: uvicorn serving each app, 64 untraced clients at once, each request to its
own path. Each request makes one trace of exactly the spans a lone request makes, with its own path and
nothing of another request's (the route, the URL, the parent)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import assert_concurrent_requests
from helpers import http_get
from helpers import patched_fixture
from http_server import uvicorn_serving

sys.path.insert(0, str(Path(__file__).parent))
import asgi_apps

patched = patched_fixture(autouse=True, starlette=True, fastapi=True)
THREADS, CALLS_PER_THREAD = 64, 10


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_64_concurrent_clients_each_get_a_trace_of_their_own_request(framework, spans):
    app = asgi_apps.create_starlette() if framework == "starlette" else asgi_apps.create_fastapi()
    with uvicorn_serving(app) as url:
        assert_concurrent_requests(
            spans,
            f"{framework}.request",
            lambda mark: http_get(f"{url}/echo/{mark}"),
            lambda mark: mark.encode(),
            {f"{framework}.request"},
            THREADS,
            CALLS_PER_THREAD,
        )
