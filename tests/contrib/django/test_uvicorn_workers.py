"""Multi-process ASGI servers: Django's ASGI application under `ddtrace-integrations run uvicorn --workers 2`
(uvicorn's workers are spawned, each a fresh interpreter importing the application) and under gunicorn's
pre-forked uvicorn workers (``-k uvicorn.workers.UvicornWorker``). Every worker sends its request traces.

gunicorn's uvicorn workers die on SIGTERM without running exit hooks (see prefork_driver.py), under
``ddtrace-run`` as under v2: the driver waits for their periodic flush before stopping the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import python
from helpers import run_with_agent
from http_server import free_port

PREFORK_DRIVER = str(Path(__file__).parent.parent / "prefork_driver.py")
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
    traces, out = run_with_agent([python(), PREFORK_DRIVER, str(WORKERS), *server], env)
    pids = [int(p) for p in out.split("pids ")[1].split("\n")[0].split()]
    master = int(out.split("master ")[1].split()[0])
    assert out.strip().endswith("exit 0") and len(pids) == WORKERS and master not in pids, out
    requests = [s for t in traces for s in t if s["name"] == "django.request"]
    assert {s["resource"] for s in requests} == {"GET pid"}
    assert {s["metrics"]["process_id"] for s in requests} == set(pids)  # a trace from every worker, none other
    assert all([s["name"] for s in t if not s.get("parent_id")] == ["django.request"] for t in traces)
