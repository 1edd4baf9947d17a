"""Multi-process ASGI servers: Django's ASGI application under `ddtrace-integrations run uvicorn --workers 2`
(uvicorn's workers are spawned, each a fresh interpreter importing the application) and under gunicorn's
pre-forked uvicorn workers (``-k uvicorn.workers.UvicornWorker``). Every worker sends its request traces.

gunicorn's uvicorn workers die on SIGTERM without running exit hooks (see prefork_driver.py), under
``ddtrace-run`` as under v2: the driver waits for their periodic flush before stopping the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_every_worker_traces
from http_server import free_port

WORKERS = 2


SERVERS = {
    "uvicorn": lambda port: ["uvicorn", "--workers", str(WORKERS), "--port", str(port), "--log-level", "warning"],
    "gunicorn": lambda port: [
        "gunicorn",
        "-w",
        str(WORKERS),
        "-k",
        "uvicorn.workers.UvicornWorker",
        "-b",
        f"127.0.0.1:{port}",
    ],
}


@pytest.mark.parametrize("server_name", sorted(SERVERS))
def test_every_uvicorn_worker_sends_its_request_traces(server_name):
    port = free_port()
    env = {"DDI_HTTP_PORT": str(port), "PYTHONPATH": str(Path(__file__).parent)}
    if server_name == "gunicorn":
        env["DDI_WAIT_FOR_TRACES"] = "1"
    server = [*SERVERS[server_name](port), "djapp.asgi:application"]
    assert_every_worker_traces(server, WORKERS, env, "django.request", "GET pid")
