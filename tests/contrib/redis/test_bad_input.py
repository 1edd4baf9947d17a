"""The bad-input catalog for redis against the real Redis: each case's traced outcome (the result, or the
exception's type and message) is the untraced one, computed here with the plugins off; each call that reaches a
traced method makes one span, an error span when it raised, and no plugin fails."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from typing import Callable
from typing import Dict
from typing import Tuple

import pytest
import redis
import redis.asyncio as aredis
from helpers import LONG
from helpers import assert_same_and_traced
from helpers import outcome
from helpers import patched_fixture
from helpers import untraced_then_traced

PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))


class Unprintable:
    def __str__(self) -> str:
        raise ValueError("cannot be shown")


class OddPool(redis.ConnectionPool):
    """An application's own pool whose settings name no port (its connections get one of their own)."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1", port=PORT, db=9)
        self.settings = self.connection_kwargs
        self.connection_kwargs = {k: v for k, v in self.settings.items() if k != "port"}

    def make_connection(self):  # type: ignore[no-untyped-def]
        return self.connection_class(**self.settings)


def pipeline(r: redis.Redis, *commands: Tuple[Any, ...]) -> Any:
    pipe = r.pipeline()
    for command in commands:
        pipe.execute_command(*command)
    return pipe.execute()


# name -> (the call on a db-9 client, spans it makes; 0: redis-py refuses it before any traced method runs)
CASES: Dict[str, Tuple[Callable[[redis.Redis], Any], int]] = {
    "no_arguments": (lambda r: r.execute_command(), 1),
    "none_value": (lambda r: r.set("k", None), 1),
    "unprintable_value": (lambda r: r.execute_command("SET", "k", Unprintable()), 1),
    "nested_list_value": (lambda r: r.execute_command("SET", "k", ["a", ["b"]]), 1),
    "dict_value": (lambda r: r.execute_command("SET", "k", {"a": 1}), 1),
    "non_utf8_key": (lambda r: (r.set(b"\xff\xfe", b"\x00"), r.get(b"\xff\xfe")), 2),
    "unicode_key": (lambda r: (r.set("cl\u00e9\u2603", "v"), r.get("cl\u00e9\u2603")), 2),
    "newlines_and_spaces": (lambda r: r.execute_command("SET", "a b\r\nc", " \n"), 1),
    "value_64k": (lambda r: r.set("big", LONG), 1),
    "args_10000": (lambda r: r.execute_command("DEL", *range(10_000)), 1),
    "number_values": (lambda r: r.execute_command("SET", "n", 1.5e300), 1),
    "memoryview_value": (lambda r: r.execute_command("SET", "m", memoryview(b"abc")), 1),
    "bytes_command": (lambda r: r.execute_command(b"GET", b"k"), 1),
    "lower_case_command": (lambda r: r.execute_command("mget", "k", "missing"), 1),
    "command_with_space": (lambda r: r.execute_command("GET k", "x"), 1),
    "unknown_command": (lambda r: r.execute_command("NOPE"), 1),
    "unknown_option": (lambda r: r.execute_command("GET", "k", bogus_option=1), 1),
    "pipeline_unknown_command": (lambda r: pipeline(r, ("SET", "p", 1), ("NOPE",)), 1),
    "pipeline_none_value": (lambda r: pipeline(r, ("SET", "p", None)), 1),
    "pipeline_unprintable": (lambda r: pipeline(r, ("SET", "p", Unprintable())), 1),
    "pipeline_no_arguments": (lambda r: pipeline(r, ()), 0),  # IndexError while queueing: nothing reached
    "empty_pipeline": (lambda r: pipeline(r), 1),
    "odd_pool": (lambda r: redis.Redis(connection_pool=OddPool()).ping(), 1),
    "missing_socket": (lambda r: redis.Redis(unix_socket_path="/nonexistent/ddi-redis.sock").get("k"), 1),
    "refused": (lambda r: redis.Redis(host="127.0.0.1", port=1).get("k"), 1),
    "bad_host": (lambda r: redis.Redis(host="no-such-host.invalid", port=PORT).get("k"), 1),
}


@pytest.fixture(scope="module")
def client():
    r = redis.Redis(host="127.0.0.1", port=PORT, db=9)
    yield r
    r.flushdb()
    r.close()


patched = patched_fixture(scope="module", autouse=True, redis=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_behaves_as_untraced(name, client, spans, caplog):
    call, count = CASES[name]
    untraced, traced = untraced_then_traced(lambda: outcome(lambda: call(client)), spans, caplog, "redis")
    found = spans.named("redis.command")
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "redis", reached=count > 0)
    for span in found:
        assert len(span.get_tag("redis.raw_command") or "") <= 1000 + 1000 // 100 * 3 + 3 * 10_000  # cut, per value


@pytest.mark.parametrize("name", ["no_arguments", "none_value", "unprintable_value", "pipeline_no_arguments"])
def test_bad_input_behaves_as_untraced_asyncio(name, spans, caplog):
    call, count = CASES[name]

    async def run() -> Any:
        r = aredis.Redis(host="127.0.0.1", port=PORT, db=9)
        try:
            if name == "pipeline_no_arguments":
                return await r.pipeline().execute_command().execute()
            return await call(r)
        finally:
            await r.aclose()

    untraced, traced = untraced_then_traced(lambda: outcome(lambda: asyncio.run(run())), spans, caplog, "redis")
    found = spans.named("redis.command")
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "redis", reached=count > 0)


def test_an_unprintable_value_is_shown_as_a_mark(client, spans):
    with pytest.raises(redis.DataError):
        client.execute_command("SET", "k", Unprintable(), "v")
    span = spans.one("redis.command")
    assert (span.resource, span.get_tag("redis.raw_command")) == ("SET", "SET k ?")


def test_a_64k_value_is_cut(client, spans):
    client.set("big", LONG)
    assert spans.one("redis.command").get_tag("redis.raw_command") == "SET big " + LONG[:100] + "..."
    assert json.dumps(spans.one("redis.command").get_tags())  # every tag is text


def test_a_pool_naming_no_port_is_traced_without_an_address(spans):
    client = redis.Redis(connection_pool=OddPool())
    assert client.ping() is True
    client.close()
    tags = {**spans.one("redis.command").get_tags(), **spans.one("redis.command").get_metrics()}
    assert not {"out.host", "server.address", "network.destination.port", "out.redis_db"} & set(tags), tags
