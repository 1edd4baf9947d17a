"""See your traces without Datadog: a local receiver that shows each finished trace as a tree with a waterfall.

``ddtrace-integrations run --show <command>`` runs the command with its tracer sending to a receiver in this
process; ``ddtrace-integrations view`` is a standalone receiver that several processes can send to.  With a
real agent configured, the receiver is a proxy: every request goes to the agent unchanged.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from typing import Any
from typing import List
from typing import Optional

from ddtrace_integrations.viewer.server import Display
from ddtrace_integrations.viewer.server import Viewer
from ddtrace_integrations.viewer.server import configured_agent_url

__all__ = ["Display", "Viewer", "configured_agent_url", "run_shown", "view"]


def _prefix(upstream: Optional[str]) -> str:
    return f"forwarding to the agent at {upstream}" if upstream else "no agent configured: answering as one"


def run_shown(
    command: List[str], debug: bool = False, show: bool = True, json_path: Optional[str] = None, settle: float = 1.0
) -> int:
    """Run ``command`` as a child, traced, its traces shown here (stderr) as they finish; its exit code."""
    from ddtrace_integrations.cli import BOOTSTRAP_DIR
    from ddtrace_integrations.cli import CANNOT_EXECUTE
    from ddtrace_integrations.cli import NOT_FOUND
    from ddtrace_integrations.cli import _exec_failure
    from ddtrace_integrations.cli import _say

    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise SystemExit("ddtrace-integrations run: no command given")
    executable = command[0] if os.path.isfile(command[0]) else shutil.which(command[0])
    if executable is None:  # as ``run`` says it
        _say(f"command not found: {command[0]}")
        return NOT_FOUND

    upstream = configured_agent_url(os.environ)
    display = Display(sys.stderr if show else None, json_path)
    try:
        viewer = Viewer(display, upstream=upstream, settle=settle).start()
    except ValueError as exc:  # an agent URL we cannot forward to
        display.close()
        raise SystemExit(f"ddtrace-integrations run: {exc}") from None
    display.message(f"ddtrace-integrations: showing traces ({_prefix(upstream)})")

    env = dict(os.environ)
    pythonpath = env.get("PYTHONPATH")
    env["PYTHONPATH"] = BOOTSTRAP_DIR + (os.pathsep + pythonpath if pythonpath else "")
    env["DD_TRACE_AGENT_URL"] = viewer.url
    if debug:
        env["DD_TRACE_DEBUG"] = "true"

    try:
        child = subprocess.Popen([executable, *command[1:]], env=env)
    except OSError as error:  # as ``run`` says it: not executable, no interpreter, ...
        viewer.close()
        _say(_exec_failure(command[0], executable, error))
        return CANNOT_EXECUTE

    def forward(signum: int, frame: Any) -> None:
        child.send_signal(signum)

    # Ctrl-C reaches the child from the terminal; this process waits for it and shows its last traces.
    previous = {sig: signal.signal(sig, handler) for sig, handler in _handlers(forward).items()}
    try:
        returncode = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    viewer.drain()
    viewer.close()
    return returncode if returncode >= 0 else 128 - returncode


def _handlers(forward: Any) -> dict:
    handlers: dict = {signal.SIGINT: signal.SIG_IGN, signal.SIGTERM: forward}
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = forward
    return handlers


def view(
    host: str = "127.0.0.1",
    port: int = 8126,
    agent: Optional[str] = None,
    json_path: Optional[str] = None,
    settle: float = 1.0,
) -> int:
    """Receive traces from any number of processes until interrupted (Ctrl-C, SIGTERM), showing each one."""
    display = Display(sys.stdout, json_path)
    try:
        viewer = Viewer(display, host=host, port=port, upstream=agent, settle=settle).start()
    except ValueError as exc:
        display.close()
        raise SystemExit(f"ddtrace-integrations view: {exc}") from None
    except OSError as exc:
        display.close()
        raise SystemExit(
            f"ddtrace-integrations view: cannot listen on {host}:{port}: {exc.strerror or exc}"
            + (" (a Datadog agent there? choose another --port, and forward to it with --agent)" if port else "")
        ) from None
    display.message(
        f"ddtrace-integrations view: listening on {viewer.url} ({_prefix(agent)}); "
        f"run your apps with DD_TRACE_AGENT_URL={viewer.url}"
    )
    stop = threading.Event()
    # SIGINT too, even when inherited ignored (a background job of a shell): whoever sends it means stop
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    while not stop.wait(0.2):
        pass
    viewer.drain(quiet=0.0, timeout=2.0)
    viewer.close()
    return 0
