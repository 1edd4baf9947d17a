"""The README's demo, end to end: `scripts/demo` against the real services, asserted on the viewer's JSON.

One trace per request across the storefront and the pricing service (two processes), with the PostgreSQL,
MariaDB and Kafka produce spans in it; the worker's traces linked to the producer of each order event; and
nothing left running afterwards, also when the demo is interrupted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

import pytest

from ddtrace_integrations.viewer.traces import full_trace_id
from ddtrace_integrations.viewer.traces import span_links

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILES = [ROOT / "scripts" / "demo", *sorted((ROOT / "examples" / "storefront").glob("*.py"))]

Span = Dict[str, Any]


def _traces(path: Path) -> Dict[int, List[Span]]:
    """The viewer's JSON lines by 128-bit trace id; a trace shown again (an update) replaces itself."""
    traces = {}
    for line in path.read_text().splitlines():
        trace = json.loads(line)
        traces[int(trace["trace_id"], 16)] = trace["spans"]
    return traces


def _topic(output: str) -> str:
    match = re.search(r"tables and topic (\S+)", output)
    assert match, output
    return match.group(1)


def _left_running(topic: str) -> List[str]:
    """Processes of this demo run still alive: each one it starts has the run's topic in its environment."""
    marker = f"DEMO_ORDERS_TOPIC={topic}".encode()
    alive = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                alive.append(f"{proc.name}: {command}")
        except OSError:  # gone, or not ours
            continue
    return alive


def _root(spans: List[Span]) -> Span:
    (root,) = [s for s in spans if s["parent_id"] == 0]
    return root


def _ancestors(span: Span, spans: List[Span]) -> List[Span]:
    by_id = {s["span_id"]: s for s in spans}
    chain = []
    while span["parent_id"]:
        span = by_id[span["parent_id"]]  # a KeyError: a parent that is not in the trace
        chain.append(span)
    return chain


def _one(spans: List[Span], **fields: Any) -> Span:
    found = [s for s in spans if all(s.get(k) == v or s["meta"].get(k) == v for k, v in fields.items())]
    assert len(found) == 1, (fields, [(s["service"], s["name"], s["resource"]) for s in spans])
    return found[0]


def _request_trace(traces: Dict[int, List[Span]], resource: str) -> List[List[Span]]:
    return [
        spans
        for spans in traces.values()
        if any(s["parent_id"] == 0 and s["service"] == "storefront" and s["resource"] == resource for s in spans)
    ]


def _check_request(spans: List[Span]) -> Span:
    """The storefront's request span is the root; the pricing service's request span, from another process,
    is the child of the storefront's httpx span; the database spans are under the storefront's request."""
    root = _root(spans)
    assert (root["name"], root["meta"]["span.kind"]) == ("flask.request", "server")
    assert {s["trace_id"] for s in spans} == {root["trace_id"]}
    server = _one(spans, service="pricing", name="flask.request")
    client = next(s for s in spans if s["span_id"] == server["parent_id"])
    assert (client["service"], client["meta"]["component"], client["meta"]["span.kind"]) == (
        "storefront",
        "httpx",
        "client",
    )
    assert root in _ancestors(client, spans)
    assert server["metrics"]["process_id"] != root["metrics"]["process_id"]
    assert full_trace_id([server]) == full_trace_id([root])  # the same 128-bit id on both sides
    for system in ("postgresql", "mysql"):
        queries = [s for s in spans if s["meta"].get("db.system") == system and s["name"].endswith(".query")]
        assert queries, system
        assert all(s["meta"]["span.kind"] == "client" and root in _ancestors(s, spans) for s in queries)
    return root


def _run(tmp_path: Path, *extra: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo"), "--json", str(tmp_path / "traces.jsonl"), *extra],
        cwd=ROOT,
        env=dict(os.environ, TMPDIR=str(tmp_path)),  # where a failed run leaves its logs
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_demo_shows_one_trace_per_request_and_the_consumer_traces_linked_to_their_producer(
    tmp_path: Path,
) -> None:
    proc = _run(tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert not _left_running(_topic(output))
    traces = _traces(tmp_path / "traces.jsonl")

    (products,) = _request_trace(traces, "GET /products")
    _check_request(products)
    assert {s["resource"] for s in products if s["service"] == "pricing" and s["name"] == "flask.request"} == {
        "GET /prices"
    }

    orders = _request_trace(traces, "POST /orders")
    assert len(orders) == 2
    producers = []
    for spans in orders:
        root = _check_request(spans)
        produce = _one(spans, name="kafka.produce")
        assert produce["meta"]["span.kind"] == "producer" and root in _ancestors(produce, spans)
        assert produce["meta"]["messaging.destination.name"] == _topic(output)
        producers.append((full_trace_id(spans), produce["span_id"]))

    # The worker: per order event, a consume span and its own store span (with the INSERT), each starting a
    # trace of its own linked to that event's producer span.
    consumed = [s for spans in traces.values() for s in spans if s["name"] == "kafka.consume"]
    stores = [spans for spans in traces.values() if any(s["name"] == "order.store" for s in spans)]
    assert sorted(link for s in consumed for link in span_links(s)) == sorted(producers)
    assert all(s["parent_id"] == 0 and s["meta"]["span.kind"] == "consumer" for s in consumed)
    assert len(stores) == 2
    stored_links = []
    for spans in stores:
        store = _root(spans)
        assert (store["name"], store["service"]) == ("order.store", "order-worker")
        insert = _one(spans, name="postgres.query")
        assert insert["parent_id"] == store["span_id"]
        assert insert["resource"].startswith("INSERT INTO shop_order_events")
        stored_links += span_links(store)
    assert sorted(stored_links) == sorted(producers)
    # nothing else: no stray traces (an empty poll, a commit at shutdown)
    assert len(traces) == 1 + 2 + 2 + 2, [sorted({s["name"] for s in spans}) for spans in traces.values()]

    # and the terminal output is the viewer's: trees, with the links shown
    for trace_id, span_id in producers:
        assert output.count(f"link={trace_id:032x}/{span_id}") == 2
    assert re.search(r"flask\.request  service=storefront resource=\"POST /orders\"", output)
    assert re.search(r"└─ flask\.request  service=pricing resource=\"GET /prices\"", output)


def _wait_for_line(proc: subprocess.Popen, pattern: str, seen: List[str], timeout: float = 120) -> Optional[str]:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            return None
        seen.append(line)
        if re.search(pattern, line):
            return line
    return None


def test_an_interrupted_demo_stops_everything_it_started(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the demo's process group, as a terminal sends it) while its services are starting."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "storefront" / "demo.py")],
        cwd=ROOT,
        env=dict(os.environ, TMPDIR=str(tmp_path)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: List[str] = []
    try:
        assert _wait_for_line(proc, r"^==> pricing service on", seen), "".join(seen)
        os.killpg(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    assert "==> interrupted" in output
    assert not _left_running(_topic(output)), output


def test_a_failed_demo_says_why_shows_the_logs_and_stops_everything(tmp_path: Path) -> None:
    """No time to wait for the traces: the demo fails, after stopping what it started."""
    proc = _run(tmp_path, "--timeout", "0")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "==> failed: the traces did not all arrive within 0 s" in output
    assert "--- last lines of storefront's log ---" in output
    assert f"==> the logs are in {tmp_path}" in output
    assert not _left_running(_topic(output)), output


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_demo_sets_no_private_ddtrace_variable(path: Path) -> None:
    assert "_DD_" not in path.read_text()


def test_the_readme_shows_the_demo_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "\nscripts/demo\n" in readme
