"""The httpx workload (sync and async) against a real loopback server, run under ddtrace and under v2."""

import asyncio
import os

import httpx
import steps
from http_server import serve

server, BASE = serve(int(os.environ["DDI_HTTP_PORT"]))
TRACE_HEADERS = ("x-datadog-trace-id", "traceparent")


def sync_steps():
    client = httpx.Client()

    def ok_with_query():
        seen = client.get(BASE + "/headers?token=s3cr3t&page=2", headers={"User-Agent": "ddi-workload"}).json()
        print("propagated", [h for h in TRACE_HEADERS if h in seen])

    def not_found():
        client.get(BASE + "/nowhere")

    def server_error():
        client.get(BASE + "/status/503")

    def redirect():
        print("redirect", client.get(BASE + "/redirect", follow_redirects=True).status_code)

    def digest_auth():
        print("digest", client.get(BASE + "/digest", auth=httpx.DigestAuth("user", "pw")).status_code)

    def stream():
        with client.stream("GET", BASE + "/stream") as response:
            print("lines", len(list(response.iter_lines())))

    def built_request():
        request = client.build_request("POST", BASE + "/headers", headers={"X-Sign": "abc"}, content=b"body")
        client.send(request)  # (ddtrace adds its headers to this caller-owned request; v2 sends a copy)

    def refused():
        client.get("http://127.0.0.1:1/")

    def timeout():
        client.get(BASE + "/slow", timeout=0.3)

    steps.run(
        [
            ("ok_with_query", ok_with_query),
            ("not_found", not_found),
            ("server_error", server_error),
            ("redirect", redirect),
            ("digest_auth", digest_auth),
            ("stream", stream),
            ("built_request", built_request),
            ("refused", refused),
            ("timeout", timeout),
        ]
    )
    client.close()


async def async_steps():
    async with httpx.AsyncClient() as client:

        async def get():
            await client.get(BASE + "/status/200")

        async def concurrent():
            responses = await asyncio.gather(*(client.get(BASE + "/status/201") for _ in range(5)))
            print("concurrent", [r.status_code for r in responses])

        async def refused():
            await client.get("http://127.0.0.1:1/")

        await steps.run_async([("async get", get), ("async concurrent", concurrent), ("async refused", refused)])


sync_steps()
asyncio.run(async_steps())
server.shutdown()
