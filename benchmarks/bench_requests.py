"""Cost of tracing one requests call, in one process.

Run: ``python benchmarks/bench_requests.py`` (about a minute) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call, each on a session made once per configuration's state (no proxy settings read from the environment):
  requests     ``session.get(url)`` (``Session.send`` is what is traced) against the loopback server (a child
               process, kept-alive connection)
  reqadapter   the same through a transport adapter of the application's own that answers in this process: no
               network, the client's own cost
each as untraced, bare span, ddtrace (its own integration), v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
from typing import Any
from typing import List
from typing import Optional

import requests
from _harness import Call
from _harness import Case
from _harness import main
from _loopback import serving
from requests.adapters import BaseAdapter

IN_PROCESS = "http://bench.local/users/7"


class Answer(BaseAdapter):
    """Answers every request in this process, as a test or caching adapter would."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = requests.Response()
        response.status_code, response.url, response.request, response._content = 200, request.url, request, b"ok"
        return response

    def close(self) -> None:
        pass


def session_get(url: str, adapter: Optional[BaseAdapter] = None) -> Call:
    session = requests.Session()
    session.trust_env = False
    if adapter is not None:
        session.mount(IN_PROCESS, adapter)

    def call() -> Any:
        return session.get(url)

    call.close = session.close  # type: ignore[attr-defined]
    call.with_headers = lambda headers: session.get(url, headers=headers)  # type: ignore[attr-defined]
    return call


def cases(url: str) -> List[Case]:
    return [
        Case("requests get (loopback)", "requests", "requests", lambda mode: session_get(url)),
        Case(
            "requests get (in-process adapter)",
            "reqadapter",
            "requests",
            lambda mode: session_get(IN_PROCESS, Answer()),
        ),
    ]


def run(argv: Optional[List[str]] = None) -> None:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("requests", "urllib3"))
    with serving() as url:
        main(__doc__, lambda: cases(url), ("requests", "urllib3"), versions=versions, argv=argv)


if __name__ == "__main__":
    run()
