"""The aiohttp client workload against a real loopback server, run under ddtrace and under v2."""

import asyncio
import os

import aiohttp
import steps
from http_server import serve

server, BASE = serve(int(os.environ["DDI_HTTP_PORT"]))
TRACE_HEADERS = ("x-datadog-trace-id", "traceparent")


async def main():
    async with aiohttp.ClientSession() as session, aiohttp.ClientSession(base_url=BASE) as based:

        async def ok_with_params():
            async with session.get(BASE + "/headers?page=2", params={"token": "s3cr3t"}) as response:
                seen = await response.json()
            print("propagated", [h for h in TRACE_HEADERS if h in seen])

        async def base_url():
            async with based.get("/status/200", headers=[("X-Sign", "abc")]) as response:
                await response.read()

        async def not_found():
            async with session.get(BASE + "/nowhere") as response:
                await response.read()

        async def server_error():
            async with session.get(BASE + "/status/503") as response:
                await response.read()

        async def redirect():
            async with session.get(BASE + "/redirect") as response:
                print("redirect", response.status)

        async def stream():
            async with session.get(BASE + "/stream") as response:
                print("lines", len([line async for line in response.content]))

        async def post():
            async with session.post(BASE + "/headers", data=b"body", headers={"X-Sign": "abc"}) as response:
                await response.read()

        async def refused():
            async with session.get("http://127.0.0.1:1/") as response:
                await response.read()

        async def timeout():
            async with session.get(BASE + "/slow", timeout=aiohttp.ClientTimeout(total=0.3)) as response:
                await response.read()

        async def concurrent():
            async def one():
                async with session.get(BASE + "/status/201") as response:
                    return response.status

            print("concurrent", await asyncio.gather(*(one() for _ in range(5))))

        await steps.run_async(
            [
                ("ok_with_params", ok_with_params),
                ("base_url", base_url),
                ("not_found", not_found),
                ("server_error", server_error),
                ("redirect", redirect),
                ("stream", stream),
                ("post", post),
                ("refused", refused),
                ("timeout", timeout),
                ("concurrent", concurrent),
            ]
        )


asyncio.run(main())
server.shutdown()
