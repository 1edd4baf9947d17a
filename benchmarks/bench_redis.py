"""Cost of tracing one redis-py call, in one process.

Run: ``python benchmarks/bench_redis.py`` (about a minute) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call, each on a client made once per configuration's state, against the real Redis (``DDI_REDIS_PORT``,
6379 by default, on 127.0.0.1):
  redis       ``client.get(key)`` (``Redis.execute_command`` is what is traced)
  redispipe   ``pipe.set(k, v).get(k).incr(n).execute()``: one span for a pipeline of three commands
  redisasync  ``await client.get(key)`` on a ``redis.asyncio`` client
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
from typing import List
from typing import Optional

import redis
import redis.asyncio as aredis
from _harness import Call
from _harness import Case
from _harness import main

PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))
KEY = "ddi:bench"


def client_get(mode: str) -> Call:
    client = redis.Redis(host="127.0.0.1", port=PORT, client_name="bench")

    def call() -> Any:
        return client.get(KEY)

    call.close = client.close  # type: ignore[attr-defined]
    return call


def pipeline_execute(mode: str) -> Call:
    client = redis.Redis(host="127.0.0.1", port=PORT, client_name="bench")

    def call() -> Any:
        return client.pipeline().set(KEY, "v").get(KEY).incr(KEY + ":n").execute()

    call.close = client.close  # type: ignore[attr-defined]
    return call


async def async_get(mode: str) -> Callable[[], Any]:
    client = aredis.Redis(host="127.0.0.1", port=PORT, client_name="bench")

    async def call() -> Any:
        return await client.get(KEY)

    call.close = client.aclose  # type: ignore[attr-defined]
    return call


def cases() -> List[Case]:
    return [
        Case("redis get", "redis", "redis", client_get),
        Case("redis pipeline (3 commands)", "redispipe", "redis", pipeline_execute),
        Case("redis.asyncio get", "redisasync", "redis", async_get),
    ]


def run(argv: Optional[List[str]] = None) -> None:
    main(__doc__, cases, ("redis",), versions=f"redis {importlib.metadata.version('redis')}", argv=argv)


if __name__ == "__main__":
    run()
