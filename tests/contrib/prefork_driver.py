"""Runs a pre-forking server under `ddtrace-integrations run` and asks its ``/pid`` route (which answers with the
worker's process id) from untraced concurrent clients until every worker has answered, then stops the server
gracefully so that the workers flush their traces.

    python prefork_driver.py WORKERS SERVER_ARGV...    (DDI_HTTP_PORT: the port the server listens on)

Prints ``pids <pid> ...`` (the workers that answered) and ``master <pid> exit <code>``."""

import concurrent.futures
import http.client
import os
import signal
import subprocess
import sys
import time
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
server.send_signal(signal.SIGTERM)
print("master", server.pid, "exit", server.wait(timeout=30))
