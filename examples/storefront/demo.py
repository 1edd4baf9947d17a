"""Runs the storefront demo end to end and shows its traces (what `scripts/demo` runs, once the services are up).

One `ddtrace-integrations view` receiver on a free port; the pricing service, the order worker and the
storefront each under `ddtrace-integrations run`, sending to it through DD_TRACE_AGENT_URL with their own
DD_SERVICE. A few requests, then the viewer prints one trace per request (storefront and pricing service
together) and the worker's traces, linked to the producer of each order event. Everything started here is
stopped at the end, on failure and on Ctrl-C too. This driver itself is not traced.

    python demo.py [--json FILE] [--timeout SECONDS]
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
CLI = os.path.join(BIN, "ddtrace-integrations")

REQUESTS = [
    ("GET", "/products", None),
    ("POST", "/orders", {"sku": "tea", "quantity": 3}),
    ("POST", "/orders", {"sku": "mug", "quantity": 1}),
]


def gunicorn_options() -> list:
    """One worker process with threads; no control socket (gunicorn >= 24 makes one, at a path shared by
    every gunicorn of the user unless told otherwise: two of them here, and maybe another demo run)."""
    from gunicorn.config import KNOWN_SETTINGS

    options = ["--workers", "1", "--threads", "4"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        options.append("--no-control-socket")
    return options


GUNICORN_OPTIONS = gunicorn_options()


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Processes:
    """The demo's processes, each in a session of its own (so Ctrl-C reaches only this driver, which stops
    them in order: the applications first, so that their last traces reach the viewer, then the viewer)."""

    def __init__(self, logs: str) -> None:
        self.logs = logs
        self.started: list = []  # (name, Popen), in start order
        self.starting = False
        self.interrupted = False

    def interrupt(self, signum, frame) -> None:
        """Ctrl-C and SIGTERM: stop, but never between starting a process and recording it."""
        self.interrupted = True
        if not self.starting:
            raise KeyboardInterrupt

    def start(self, name: str, command: list, env: dict, log: bool = True) -> subprocess.Popen:
        out = open(os.path.join(self.logs, f"{name}.log"), "w") if log else None  # noqa: SIM115
        self.starting = True
        try:
            proc = subprocess.Popen(
                command,
                cwd=HERE,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out or None,
                start_new_session=True,
            )
            self.started.append((name, proc))
        finally:
            self.starting = False
        if self.interrupted:
            raise KeyboardInterrupt
        return proc

    def wait_port(self, name: str, proc: subprocess.Popen, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not port_open(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not listen on port {port} within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self, name: str, proc: subprocess.Popen, timeout: float = 15.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # its group: gunicorn's workers too
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> None:
        for name, proc in reversed(self.started):
            self.stop(name, proc)

    def log_tails(self) -> None:
        for name, _ in self.started:
            path = os.path.join(self.logs, f"{name}.log")
            if os.path.exists(path):
                with open(path, errors="replace") as file:
                    lines = file.read().splitlines()[-15:]
                print(f"--- last lines of {name}'s log ---", *lines, sep="\n", file=sys.stderr)


def call(base: str, method: str, path: str, body) -> tuple:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, json.load(response)


def shown_traces(path: str) -> dict:
    """The viewer's JSON lines so far, by trace id (a trace shown again with more spans replaces itself)."""
    traces = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as file:
            for line in file:
                if line.endswith("\n"):
                    trace = json.loads(line)
                    traces[trace["trace_id"]] = trace["spans"]
    return traces


def settled(traces: dict, orders: int) -> bool:
    """Every request's trace has the pricing service's spans, and every order event was consumed and stored."""
    services = [{span["service"] for span in spans} for spans in traces.values()]
    names = [{span["name"] for span in spans} for spans in traces.values()]
    requests = sum(1 for s in services if {"storefront", "pricing"} <= s)
    consumed = sum(1 for n in names if "kafka.consume" in n)
    stored = sum(1 for n in names if "order.store" in n)
    return requests >= len(REQUESTS) and consumed >= orders and stored >= orders


def stored_orders(order_ids: list) -> int:
    import psycopg

    sys.path.insert(0, HERE)
    import settings

    with psycopg.connect(settings.PG_DSN) as pg:
        row = pg.execute("SELECT count(*) FROM shop_order_events WHERE order_id = ANY(%s)", (order_ids,)).fetchone()
    return row[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="keep the viewer's traces here (one JSON object a line)")
    parser.add_argument("--timeout", type=float, default=60.0, help="how long to wait for the traces (seconds)")
    args = parser.parse_args(argv)

    logs = tempfile.mkdtemp(prefix="storefront-demo-")
    json_path = os.path.abspath(args.json) if args.json else os.path.join(logs, "traces.jsonl")
    topic = f"shop.orders.{uuid.uuid4().hex[:8]}"  # this run's events only
    pricing_port, storefront_port, viewer_port = free_port(), free_port(), free_port()
    viewer_url = f"http://127.0.0.1:{viewer_port}"

    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["DEMO_ORDERS_TOPIC"] = topic
    env["DEMO_PRICING_URL"] = f"http://127.0.0.1:{pricing_port}"
    env.setdefault("DD_ENV", "demo")
    # the trace context goes into each order event's headers, for the worker to link to
    traced = dict(env, DD_TRACE_AGENT_URL=viewer_url, DD_KAFKA_PROPAGATION_ENABLED="true")

    procs = Processes(logs)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, procs.interrupt)
    ok, code = False, 1
    try:
        say(f"tables and topic {topic}")
        subprocess.run([sys.executable, "setup_db.py"], cwd=HERE, env=env, check=True)

        say(f"ddtrace-integrations view --port {viewer_port}")
        viewer = procs.start("viewer", [CLI, "view", "--port", str(viewer_port), "--json", json_path], env, log=False)
        procs.wait_port("viewer", viewer, viewer_port)

        gunicorn = ["gunicorn", *GUNICORN_OPTIONS, "--bind"]
        say(f"pricing service on :{pricing_port}, order worker, storefront on :{storefront_port}")
        pricing = procs.start(
            "pricing",
            [CLI, "run", *gunicorn, f"127.0.0.1:{pricing_port}", "pricing:app"],
            dict(traced, DD_SERVICE="pricing"),
        )
        procs.start(
            "worker",
            [CLI, "run", sys.executable, "worker.py"],
            dict(traced, DD_SERVICE="order-worker", DD_KAFKA_EMPTY_POLL_ENABLED="false"),
        )
        storefront = procs.start(
            "storefront",
            [CLI, "run", *gunicorn, f"127.0.0.1:{storefront_port}", "storefront:app"],
            dict(traced, DD_SERVICE="storefront"),
        )
        procs.wait_port("pricing", pricing, pricing_port)
        procs.wait_port("storefront", storefront, storefront_port)

        base = f"http://127.0.0.1:{storefront_port}"
        order_ids = []
        for method, path, body in REQUESTS:
            status, answer = call(base, method, path, body)
            sent = f" {json.dumps(body)}" if body else ""
            shown = f"{len(answer)} products" if isinstance(answer, list) else json.dumps(answer)
            say(f"{method} {path}{sent} -> {status} {shown}")
            if path == "/orders":
                order_ids.append(answer["order_id"])

        deadline = time.monotonic() + args.timeout
        while not (stored_orders(order_ids) == len(order_ids) and settled(shown_traces(json_path), len(order_ids))):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the traces did not all arrive within {args.timeout:.0f} s")
            time.sleep(0.25)
        ok = True
    except KeyboardInterrupt:
        say("interrupted")
        code = 130
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        say(f"failed: {exc}")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C does not stop the stopping
            signal.signal(sig, signal.SIG_IGN)
        procs.stop_all()
        if not ok:
            procs.log_tails()
    traces = shown_traces(json_path)
    say(f"{len(traces)} traces shown" + (f", written to {json_path}" if args.json else ""))
    if ok:
        shutil.rmtree(logs, ignore_errors=True)
    else:
        say(f"the logs are in {logs}")
    return 0 if ok else code


if __name__ == "__main__":
    sys.exit(main())
