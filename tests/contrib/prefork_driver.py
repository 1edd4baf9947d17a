"""Runs a pre-forking server under `ddtrace-integrations run` and asks its ``/pid`` route (which answers with the
worker's process id) from untraced concurrent clients until every worker has answered, then stops the server
gracefully so that the workers flush their traces.

    python prefork_driver.py WORKERS SERVER_ARGV...    (DDI_HTTP_PORT: the port the server listens on)

Prints ``pids <pid> ...`` (the workers that answered) and ``master <pid> exit <code>``.

With ``DDI_WAIT_FOR_TRACES=1`` it first waits until the test agent holds a trace from every worker that
answered: for servers whose workers die on SIGTERM without running their exit hooks, so that only ddtrace's
periodic flush sends their traces (gunicorn's ``UvicornWorker``: it resets SIGTERM to the default action, and
uvicorn raises the signal again once it has shut down; so under ``ddtrace-run`` too)."""

import concurrent.futures
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

port = int(os.environ["DDI_HTTP_PORT"])
workers = int(sys.argv[1])
bin_dir = Path(sys.executable).parent
server = subprocess.Popen([str(bin_dir / "ddtrace-integrations"), "run", str(bin_dir / sys.argv[2]), *sys.argv[3:]])


def pid() -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/pid")
        response = conn.getresponse()
        assert response.status == 200, response.status
        return int(response.read())
    finally:
        conn.close()


deadline = time.monotonic() + 60
while True:
    try:
        seen = {pid()}
        break
    except OSError:
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            sys.exit("the server did not start")
        time.sleep(0.1)

# Concurrent requests: while one worker is busy with a request, another takes the next connection.
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    while len(seen) < workers and time.monotonic() < deadline:
        seen.update(pool.map(lambda _: pid(), range(16)))
print("pids", *sorted(seen))


def traced_pids() -> set:
    token = os.environ["_DD_TRACE_WRITER_ADDITIONAL_HEADERS"].split(":", 1)[1]
    url = f"{os.environ['DD_TRACE_AGENT_URL']}/test/session/traces?test_session_token={token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        traces = json.loads(response.read() or b"[]")
    return {span["metrics"].get("process_id") for trace in traces for span in trace}


if os.environ.get("DDI_WAIT_FOR_TRACES") == "1":
    while not seen <= traced_pids() and time.monotonic() < deadline + 30:
        time.sleep(0.2)
server.send_signal(signal.SIGTERM)
print("master", server.pid, "exit", server.wait(timeout=30))
