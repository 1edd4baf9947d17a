"""Runs the Flask app under `ddtrace-integrations run gunicorn` (two pre-forked workers), sends requests with
an untraced client, then stops gunicorn gracefully so that the workers flush their traces. The graceful timeout is
set below the time this driver waits for the master: on a loaded machine the second worker booted while the master
handled the stop, and the master exited only when its graceful timeout (30 s by default) ran out."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

port = int(os.environ["DDI_HTTP_PORT"])
bin_dir = Path(sys.executable).parent
argv = [str(bin_dir / "ddtrace-integrations"), "run", str(bin_dir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}"]
argv += ["--graceful-timeout", "10"]
argv += [*sys.argv[1:], "flask_app:app"]
server = subprocess.Popen(argv, cwd=Path(__file__).parent)


def get(path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


deadline = time.monotonic() + 30
while True:
    try:
        get("/")
        break
    except OSError:
        if time.monotonic() > deadline or server.poll() is not None:
            sys.exit("gunicorn did not start")
        time.sleep(0.1)

for uid in range(4):
    print(get(f"/users/{uid}")[0])
server.send_signal(signal.SIGTERM)
print("master", server.pid, "exit", server.wait(timeout=60))
