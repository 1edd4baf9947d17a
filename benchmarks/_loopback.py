"""A loopback HTTP server in a child process (no tracer in it): ``GET /`` answers ``ok`` on a kept-alive connection.

``with serving() as url:`` starts it and stops it; ``python _loopback.py`` serves and prints its port."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import Iterator


def _serve() -> None:
    import asyncio

    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


@contextlib.contextmanager
def serving() -> Iterator[str]:
    child = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
    try:
        port = child.stdout.readline().strip() if child.stdout else ""
        if not port.isdigit():
            raise SystemExit(f"the loopback server did not start (exit code {child.poll()})")
        yield f"http://127.0.0.1:{port}/"
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    _serve()
