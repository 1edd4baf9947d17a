"""Fault injection (issue 15 §2): every integration's workload with each of its hooks raising in turn.

For each (integration, hook), under ``ddtrace-integrations run`` with ``tests/faults.py`` wrapping the hook:
the workload prints what an untraced run prints (results, and the application's own exceptions by type and
message), each failing plugin logged its failure once and was switched off (a failing publisher hook logs at debug
level on each call, which then proceeds untraced or unchanged), no span was left open, no span carries the
injected error, and a query through another integration afterwards is still traced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Tuple

import pytest
from helpers import ROOT
from helpers import bin_path
from helpers import run_with_agent
from http_server import free_port

HERE = Path(__file__).parent
FAULTS = str(ROOT / "tests" / "faults.py")
WITNESS = "SELECT 'fault witness'"
PLUGIN_HOOKS = ("on_start", "on_return", "on_finish")
DB = ("on_start", "on_finish", "build", "rewrite", "done")  # asyncpg, the HTTP clients, and confluent-kafka
# DB-API drivers' events have no ``done``: the plugin reads the row count from the cursor in their context.
DBAPI = ("on_start", "on_finish", "build", "rewrite")
PRODUCER = ("on_start", "on_return", "on_finish", "build", "rewrite", "done")

# integration[-variant] -> (workload, needs a port, own directory on PYTHONPATH, the hooks it has)
INTEGRATIONS: Dict[str, Tuple[str, bool, bool, Tuple[str, ...]]] = {
    "asyncpg": ("asyncpg/workload.py", False, False, DB),
    "psycopg": ("psycopg/workload.py", False, False, DBAPI),
    "mysql": ("mysql/workload.py", False, False, DBAPI),
    "pymysql": ("mysql/workload.py", False, False, DBAPI),
    "mysqldb": ("mysql/workload.py", False, False, DBAPI),
    "sqlite3": ("sqlite3/workload.py", False, False, ("on_start", "on_finish", "build")),  # no DBM comment
    "httpx": ("httpx/workload.py", True, False, DB),
    "aiohttp": ("aiohttp/workload.py", True, False, DB),
    "requests": ("requests/workload.py", True, False, DB),
    "redis": ("redis/workload.py", False, False, ("on_start", "on_finish", "build", "done")),
    "flask": ("flask/workload.py", True, True, ("on_start", "on_finish", "build")),
    "django": ("django/workload.py", True, True, ("on_start", "on_finish", "build", "done")),
    "django-asgi": ("django/workload.py", True, True, ("on_start", "on_finish", "build")),  # under uvicorn
    "starlette": ("starlette/workload.py", True, True, ("on_start", "on_finish", "build")),
    "fastapi": ("starlette/workload.py", True, True, ("on_start", "on_finish", "build")),  # DDI_ASGI_APP=fastapi
    # websocket connections to a uvicorn server: handshakes and messages
    "starlette-ws": ("starlette/ws_workload.py", True, True, ("on_start", "on_finish", "build")),
    "fastapi-ws": ("starlette/ws_workload.py", True, True, ("on_start", "on_finish", "build")),
    "kafka": ("kafka/workload.py", False, False, DB),
    "aiokafka": ("aiokafka/workload.py", False, False, PRODUCER),
    "kafka_python": ("kafka/kafka_python_workload.py", False, False, PRODUCER),
}
# on_return: only ProducerPlugin defines it (sends that end on the broker's acknowledgement). Flask's and Django's
# request events end later too (when the server closes the response), but their plugins have no on_return.
# Hooks an integration has that its workload cannot make fail, and why.
NEVER_CALLED = {
    # KafkaProducePlugin (ProducerPlugin) defines on_return, heard only for sends whose span ends later:
    # confluent-kafka's produce span ends when produce returns (the acknowledgement arrives after it)
    ("kafka", "on_return"),
    # the django.request event with a done hook wraps BaseHandler.get_response, the WSGI handler's entry; under
    # ASGI the request event is web.AsgiEvents' own, which has none
    ("django-asgi", "done"),
}
# What publisher.Event logs (debug) when a hook fails.
GUARDS = {
    "build": "not traced, the call's data could not be read",
    "rewrite": "arguments left unchanged",
    "done": "result not recorded",
}
# Output lines tracing is meant to change: the trace headers an HTTP client sends, echoed by the server.
TRACING_VISIBLE = ("propagated ",)
ALL_HOOKS = ("on_start", "on_return", "on_finish", "build", "rewrite", "done")
MATRIX = [(i, h) for i, spec in INTEGRATIONS.items() for h in ALL_HOOKS if h in spec[3]]

_baselines: Dict[str, str] = {}
# The suite's own Redis servers, for the redis workload's unix-socket and cluster steps (set by the test).
_redis_servers: Dict[str, str] = {}


def _env(integration: str) -> Dict[str, str]:
    workload, port, own_path, _ = INTEGRATIONS[integration]
    env = {"DDI_WORKLOAD_MESSAGES": "1"}
    if integration == "redis":
        env.update(_redis_servers)
    if port:
        env["DDI_HTTP_PORT"] = str(free_port())
    if own_path:
        env["PYTHONPATH"] = str(HERE / Path(workload).parent)
    if integration == "django-asgi":
        env["DDI_DJANGO_SERVER"] = "asgi"
    if integration.startswith("fastapi"):
        env["DDI_ASGI_APP"] = "fastapi"
    if integration.endswith("-ws"):
        env["DDI_WS_SERVER"] = "uvicorn"
    return env


def untraced(integration: str) -> str:
    """What the workload prints without any integration (one run per workload, shared)."""
    env = _env(integration)
    key = INTEGRATIONS[integration][0] + env.get("DDI_DJANGO_SERVER", "") + env.get("DDI_ASGI_APP", "")
    if key not in _baselines:
        workload = str(HERE / INTEGRATIONS[integration][0])
        _, _baselines[key] = run_with_agent([bin_path("python"), workload], env)
    return _baselines[key]


def _application(out: str) -> str:
    return "".join(line for line in out.splitlines(keepends=True) if not line.startswith(TRACING_VISIBLE))


def with_fault(integration: str, hook: str, tmp_path: Path) -> Tuple[List[Any], str, Dict[str, Any]]:
    report = tmp_path / "report.json"
    env = {
        **_env(integration),
        "DDI_TEST_FAULT": f"{integration.split('-')[0]}:{hook}",
        "DDI_TEST_FAULT_REPORT": str(report),
    }
    argv = [
        bin_path("ddtrace-integrations"),
        "run",
        bin_path("python"),
        FAULTS,
        str(HERE / INTEGRATIONS[integration][0]),
    ]
    traces, out = run_with_agent(argv, env)
    return traces, out, json.loads(report.read_text())


@pytest.mark.parametrize(("integration", "hook"), MATRIX)
def test_a_failing_hook_changes_nothing_for_the_application(integration, hook, tmp_path, request):
    if integration == "redis" and not _redis_servers:  # its workload's every step, the cluster's pipeline included
        _redis_servers["DDI_REDIS_SOCKET"] = request.getfixturevalue("redis_socket")
        _redis_servers["DDI_REDIS_CLUSTER"] = request.getfixturevalue("redis_cluster")
    expected = _application(untraced(integration))
    traces, out, report = with_fault(integration, hook, tmp_path)
    out = _application(out)

    assert out == expected, f"the workload behaved differently with a failing {hook}:\n{expected}\n---\n{out}"
    if integration == "redis":
        assert "async cluster pipeline" in out and "socket" in out, "the socket and cluster steps did not run"
    # the matrix names every hook the integration has (and says why one it has cannot fail here)
    assert report["available"] == sorted(
        {*INTEGRATIONS[integration][3], *(h for i, h in NEVER_CALLED if i == integration)}
    )
    assert report["raised"], f"no {hook} of {integration} ever ran"
    assert report["open_spans"] == [], "spans left open"
    spans = [span for trace in traces for span in trace]
    assert [s for s in spans if "injected" in json.dumps(s.get("meta") or {})] == [], "the fault reached a span"
    witness = [s for s in spans if s.get("resource") == WITNESS]
    assert len(witness) == 1, "the other integration stopped tracing"

    errors = [r["message"] for r in report["records"] if r["level"] == "ERROR"]
    if hook in PLUGIN_HOOKS:
        # each failing plugin failed once, said so once, and is off
        assert set(report["raised"].values()) == {1}, report["raised"]
        assert sorted(errors) == sorted(
            f"ddtrace-integrations plugin {name} failed and is now disabled" for name in report["raised"]
        )
        assert {name: report["plugins"][name] for name in report["raised"]} == dict.fromkeys(report["raised"], False)
    else:
        # a failing publisher hook: logged (debug) on each call, the call untraced or unchanged, nothing switched off
        assert errors == []
        for event, count in report["raised"].items():
            logged = [r for r in report["records"] if r["message"] == f"{event}: {GUARDS[hook]}"]
            assert len(logged) == count, (event, count, len(logged))
        assert all(report["plugins"].values()), "a publisher fault switched a plugin off"
