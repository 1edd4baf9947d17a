"""Pre-fork servers: gunicorn workers trace, whether the app is imported in the workers or preloaded in the
master before the fork, and every worker sends traces, with sync and with gthread workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_every_worker_traces
from helpers import python
from helpers import run_with_agent
from http_server import free_port

DRIVER = str(Path(__file__).with_name("gunicorn_driver.py"))
WORKERS = 3


@pytest.mark.parametrize("options", [[], ["--preload"]], ids=["app_in_workers", "preloaded_in_master"])
def test_gunicorn_workers_send_request_spans(options):
    env = {"DDI_HTTP_PORT": str(free_port()), "PYTHONPATH": str(Path(__file__).parent)}
    traces, out = run_with_agent([python(), DRIVER, *options], env)
    master = int(out.split("master ")[1].split()[0])
    assert out.splitlines()[:4] == ["200"] * 4 and out.strip().endswith("exit 0")
    requests = [s for t in traces for s in t if s["name"] == "flask.request" and s["resource"] != "GET /"]
    assert sorted(s["meta"]["http.url"].rsplit("/", 1)[1] for s in requests) == ["0", "1", "2", "3"]
    assert {s["resource"] for s in requests} == {"GET /users/<int:uid>"}
    assert master not in {s["metrics"]["process_id"] for s in requests}  # traced in the workers
    views = [s for t in traces for s in t if s["name"] == "flask_app.user"]
    assert len(views) == 4


@pytest.mark.parametrize("worker", [["-k", "sync"], ["-k", "gthread", "--threads", "4"]], ids=["sync", "gthread"])
def test_every_gunicorn_worker_sends_its_request_traces(worker):
    port = free_port()
    env = {"DDI_HTTP_PORT": str(port), "PYTHONPATH": str(Path(__file__).parent)}
    server = ["gunicorn", "-w", str(WORKERS), *worker, "-b", f"127.0.0.1:{port}", "--chdir", str(Path(__file__).parent)]
    assert_every_worker_traces([*server, "flask_app:app"], WORKERS, env, "flask.request", "GET /pid")
