"""The redis workload (sync, asyncio, pipelines, a unix socket, a cluster when one is given), run under ddtrace and
under v2 (test_parity.py). DDI_REDIS_SOCKET names a server's unix socket, DDI_REDIS_CLUSTER a cluster node's
host:port; their steps are left out without them."""

import asyncio
import os

import redis
import redis.asyncio as aredis
import steps
from ddtrace._trace.pin import Pin  # (internal in ddtrace 4: a pin is how older applications named a service)

PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))
SOCKET = os.environ.get("DDI_REDIS_SOCKET")
CLUSTER = os.environ.get("DDI_REDIS_CLUSTER")
KEY = steps.own("ddi:wl") + ":"


def sync_steps():
    r = redis.Redis(host="127.0.0.1", port=PORT, db=2, client_name="ddi-workload")
    plain = redis.Redis(host="127.0.0.1", port=PORT)
    text = redis.Redis(host="127.0.0.1", port=PORT, decode_responses=True)

    def set_get():
        r.set(KEY + "a", "1")
        print("get", r.get(KEY + "a"), r.get(KEY + "missing"))

    def reads():
        r.rpush(KEY + "list", "x", "y")
        r.hset(KEY + "h", mapping={"f": "v", "g": ""})
        print(r.lrange(KEY + "list", 0, -1), r.hgetall(KEY + "h"), r.hmget(KEY + "h", "nope", "f"))
        print(r.mget(KEY + "a", KEY + "missing", KEY + "a"), r.hget(KEY + "h", "g"))
        print(text.mget(KEY + "h", KEY + "a"), text.set(KEY + "empty", ""), text.mget(KEY + "empty"))

    def lower_case():
        print("lower", r.execute_command("get", KEY + "a"))

    def values():
        r.set(KEY + "big", "v" * 300)
        r.set(KEY + "bin", b"\xff\x00\xfe")
        r.execute_command("SET", KEY + "n", 12.5)
        r.delete(KEY + "big", KEY + "bin", KEY + "n")

    def long_command():
        r.execute_command("MSET", *[f"{KEY}k{i} {'w' * 40}" for i in range(40)])

    def error():
        r.execute_command("NOSUCHCOMMAND", "x")

    def wrong_type():
        r.get(KEY + "list")

    def auth():
        plain.execute_command("AUTH", "hunter2")

    def hello_auth():
        plain.execute_command("HELLO", "2", "AUTH", "default", "hunter2")

    def pipeline():
        with r.pipeline() as pipe:
            pipe.set(KEY + "p", 1).incr(KEY + "p").get(KEY + "p")
            print("pipeline", pipe.execute())

    def pipeline_no_transaction():
        with r.pipeline(transaction=False) as pipe:
            pipe.get(KEY + "a").get(KEY + "missing")
            print("pipeline", pipe.execute())

    def empty_pipeline():
        print("empty", r.pipeline().execute())

    def watch():
        with r.pipeline() as pipe:
            pipe.watch(KEY + "p")
            value = pipe.get(KEY + "p")
            pipe.multi()
            pipe.set(KEY + "p", int(value) + 1)
            print("watch", pipe.execute())

    def pipeline_error():
        with r.pipeline() as pipe:
            pipe.set(KEY + "e", 1).lpush(KEY + "e", "x")
            pipe.execute()

    def pinned():
        client = redis.Redis(host="127.0.0.1", port=PORT)
        Pin.override(
            client, service="pinned-service", tags={"team": "cart"}
        )  # ddtrace's redis integration reads neither
        client.ping()

    def from_url():
        redis.Redis.from_url(f"redis://127.0.0.1:{PORT}/3").incr(KEY + "u")

    def unix_socket():
        if SOCKET:
            client = redis.Redis(unix_socket_path=SOCKET, db=1, client_name="on-socket")
            client.set(KEY + "s", "1")
            print("socket", client.get(KEY + "s"))

    def refused():
        redis.Redis(host="127.0.0.1", port=1).get(KEY + "a")

    def cluster():
        if CLUSTER:
            host, port = CLUSTER.rsplit(":", 1)
            rc = redis.RedisCluster(host=host, port=int(port))
            rc.set(KEY + "c", "1")
            print("cluster", rc.get(KEY + "c"))
            rc.close()

    def cluster_pipeline():  # a step of its own: its spans are those ddtrace names differently (test_parity.py)
        if CLUSTER:
            host, port = CLUSTER.rsplit(":", 1)
            rc = redis.RedisCluster(host=host, port=int(port))
            print("cluster mget", rc.mget_nonatomic(KEY + "c", KEY + "missing"))  # a pipeline inside
            with rc.pipeline() as pipe:
                pipe.set(KEY + "c2", "2").get(KEY + "c2")
                print("cluster pipeline", pipe.execute())
            rc.close()

    steps.run(
        [
            ("set_get", set_get),
            ("reads", reads),
            ("lower_case", lower_case),
            ("values", values),
            ("long_command", long_command),
            ("error", error),
            ("wrong_type", wrong_type),
            ("auth", auth),
            ("hello_auth", hello_auth),
            ("pipeline", pipeline),
            ("pipeline_no_transaction", pipeline_no_transaction),
            ("empty_pipeline", empty_pipeline),
            ("watch", watch),
            ("pipeline_error", pipeline_error),
            ("pinned", pinned),
            ("from_url", from_url),
            ("unix_socket", unix_socket),
            ("refused", refused),
            ("cluster", cluster),
            ("cluster_pipeline", cluster_pipeline),
        ]
    )
    r.delete(*sorted(r.keys(KEY + "*")))  # sorted: KEYS answers in the server's table order, which other keys move
    for client in (r, plain, text):
        client.close()


async def async_steps():
    r = aredis.Redis(host="127.0.0.1", port=PORT, db=4, client_name="ddi-async")

    async def async_set_get():
        await r.set(KEY + "aa", "1")
        print("async get", await r.get(KEY + "aa"), await r.mget(KEY + "aa", KEY + "missing"))

    async def async_error():
        await r.execute_command("NOSUCHCOMMAND")

    async def async_pipeline():
        async with r.pipeline() as pipe:
            pipe.set(KEY + "ap", 1).get(KEY + "ap")
            print("async pipeline", await pipe.execute())

    async def async_empty_pipeline():
        print("async empty", await r.pipeline().execute())

    async def async_watch():
        async with r.pipeline() as pipe:
            await pipe.watch(KEY + "ap")
            value = await pipe.get(KEY + "ap")
            pipe.multi()
            pipe.set(KEY + "ap", int(value) + 1)
            print("async watch", await pipe.execute())

    async def async_timeout():
        try:
            await asyncio.wait_for(r.blpop([KEY + "never"], timeout=5), 0.2)
        except asyncio.TimeoutError:
            print("async timeout")

    async def async_cluster():
        if CLUSTER:
            host, port = CLUSTER.rsplit(":", 1)
            rc = aredis.RedisCluster(host=host, port=int(port))
            await rc.set(KEY + "ac", "1")
            print("async cluster", await rc.get(KEY + "ac"))
            await rc.aclose()

    async def async_cluster_pipeline():
        if CLUSTER:
            host, port = CLUSTER.rsplit(":", 1)
            rc = aredis.RedisCluster(host=host, port=int(port))
            async with rc.pipeline() as pipe:
                pipe.set(KEY + "ac2", "2").get(KEY + "ac2")
                print("async cluster pipeline", await pipe.execute())
            await rc.aclose()

    await steps.run_async(
        [
            ("async_set_get", async_set_get),
            ("async_error", async_error),
            ("async_pipeline", async_pipeline),
            ("async_empty_pipeline", async_empty_pipeline),
            ("async_watch", async_watch),
            ("async_timeout", async_timeout),
            ("async_cluster", async_cluster),
            ("async_cluster_pipeline", async_cluster_pipeline),
        ]
    )
    await r.delete(*sorted(await r.keys(KEY + "*")))
    await r.aclose()


sync_steps()
asyncio.run(async_steps())
