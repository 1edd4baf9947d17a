"""Cost of tracing one HTTP client request, in one process.

Run: ``python benchmarks/bench_http.py`` (about a minute) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call, each on a client made once per configuration's state:
  httpx      httpx ``client.get(url)`` (``Client.send`` is what is traced) through ``httpx.WSGITransport`` to a
             WSGI function in this process: no network, the client's own cost
  httpxnet   the same against the loopback server (a child process, kept-alive connection)
  aiohttp    aiohttp ``async with session.get(url) as r: await r.read()`` against the loopback server
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
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional

import aiohttp
import httpx
from _harness import Call
from _harness import Case
from _harness import main
from _loopback import serving

IN_PROCESS = "http://bench.local/users/7"


def wsgi_app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def httpx_get(client: httpx.Client, url: str) -> Call:
    def call() -> Any:
        return client.get(url)

    call.close = client.close  # type: ignore[attr-defined]
    call.with_headers = lambda headers: client.get(url, headers=headers)  # type: ignore[attr-defined]
    return call


def cases(url: str) -> List[Case]:
    def in_process(mode: str) -> Call:
        return httpx_get(httpx.Client(transport=httpx.WSGITransport(app=wsgi_app)), IN_PROCESS)

    def loopback(mode: str) -> Call:
        return httpx_get(httpx.Client(), url)

    async def aiohttp_get(mode: str) -> Callable[[], Any]:
        session = aiohttp.ClientSession()

        async def call() -> Any:
            async with session.get(url) as response:
                return await response.read()

        call.close = session.close  # type: ignore[attr-defined]
        return call

    return [
        Case("httpx send (WSGI transport)", "httpx", "httpx", in_process),
        Case("httpx send (loopback)", "httpxnet", "httpx", loopback),
        Case("aiohttp request (loopback)", "aiohttp", "aiohttp", aiohttp_get, spans=2),
    ]


def run(argv: Optional[List[str]] = None) -> None:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("httpx", "aiohttp"))
    with serving() as url:
        main(__doc__, lambda: cases(url), ("httpx", "httpcore", "aiohttp"), versions=versions, argv=argv)


if __name__ == "__main__":
    run()
