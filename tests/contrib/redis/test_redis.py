"""redis under v2 against a real Redis: one span per command and per pipeline (sync, asyncio, cluster), the
connection's tags, row counts, passwords never shown, results and exceptions passed through unchanged."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis
import redis.asyncio as aredis
from ddtrace import config
from ddtrace._trace.pin import Pin
from helpers import assert_span
from helpers import patched_fixture
from helpers import plugins_off
from hypothesis import given
from hypothesis import strategies as st

import ddtrace_integrations
from ddtrace_integrations import _patching

patched = patched_fixture(redis=True)
# Through the registry: importing ddtrace_integrations.auto directly would instrument this whole test process.
redis_patch = _patching._publisher(_patching.BUILTIN["redis"])
format_command = redis_patch.format_command
PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))


def test_command_span_tags_the_connection_and_the_command(patched, spans, r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    set_span, get_span = spans.named("redis.command")
    connection = {"out.host": "127.0.0.1", "server.address": "127.0.0.1", "db.system": "redis", "component": "redis"}
    assert_span(
        set_span,
        service="redis",
        resource="SET",
        span_type="redis",
        error=0,
        meta={**connection, "redis.raw_command": "SET k v", "span.kind": "client"},
        metrics={"out.redis_db": 5, "network.destination.port": PORT, "redis.args_length": 3, "_dd.measured": 1},
        absent=("db.row_count", "redis.client_name"),
    )
    assert_span(get_span, resource="GET", meta={"redis.raw_command": "GET k"}, metrics={"db.row_count": 1})


def test_row_counts_of_reads(patched, spans, r):
    r.set("a", "1")
    r.hset("h", mapping={"f": "1"})
    assert r.mget("a", "missing", "a") == [b"1", None, b"1"]
    assert r.get("missing") is None
    assert r.hmget("h", "nope", "f") == [None, b"1"]
    assert r.hgetall("nope") == {}
    counts = {s.get_tag("redis.raw_command"): s.get_metric("db.row_count") for s in spans.named("redis.command")}
    assert counts == {
        "SET a 1": None,
        "HSET h f 1": None,
        "MGET a missing a": 2,
        "GET missing": 0,
        "HMGET h nope f": 1,
        "HGETALL nope": 0,
    }


def test_error_keeps_the_exception_and_counts_no_rows(patched, spans, r):
    r.rpush("list", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("list")
    span = spans.one("redis.command", resource="GET")
    assert span.error == 1 and span.get_tag("error.type") == "redis.exceptions.ResponseError"
    assert span.get_metric("db.row_count") == 0


def test_raw_command_is_cut_at_the_setting(patched, spans, r, monkeypatch):
    monkeypatch.setitem(config.redis, "cmd_max_length", 10)
    r.set("key", "x" * 50)
    r.set("k", "y" * 300)
    first, second = spans.named("redis.command")
    assert first.get_tag("redis.raw_command") == "SET key xxxx..."  # 3 + 3 + 4 characters, then the mark
    assert second.resource == "SET"
    monkeypatch.setitem(config.redis, "cmd_max_length", 1000)
    r.set("k", "y" * 300)
    assert spans.named("redis.command")[2].get_tag("redis.raw_command") == "SET k " + "y" * 100 + "..."


def test_whole_command_as_resource_when_the_setting_says_so(patched, spans, r, monkeypatch):
    monkeypatch.setitem(config.redis, "resource_only_command", False)
    r.set("k", "v")
    assert spans.one("redis.command").resource == "SET k v"


def test_client_name_and_pin_service(patched, spans):
    client = redis.Redis(host="127.0.0.1", port=PORT, client_name="billing")
    Pin.override(client, service="pinned", tags={"team": "cart"})  # ddtrace's redis integration reads no pin
    client.ping()
    client.close()
    span = spans.one("redis.command")
    assert_span(span, service="redis", meta={"redis.client_name": "billing"}, absent=("team",))


def test_unix_socket_has_no_address_tags(patched, spans, redis_socket):
    client = redis.Redis(unix_socket_path=redis_socket, db=1)
    client.set("s", "1")
    client.close()
    assert_span(
        spans.one("redis.command"),
        resource="SET",
        absent=("out.host", "server.address", "network.destination.port", "out.redis_db"),
    )


def test_pipeline_names_its_commands(patched, spans, r):
    with r.pipeline() as pipe:
        assert pipe.set("p", 1).incr("p").get("p").execute() == [True, 2, b"2"]
    assert r.pipeline().execute() == []
    pipeline, empty = spans.named("redis.command")
    assert_span(
        pipeline,
        resource="SET\nINCRBY\nGET",
        meta={"redis.raw_command": "SET p 1\nINCRBY p 1\nGET p"},
        metrics={"redis.pipeline_length": 3, "out.redis_db": 5},
        absent=("redis.args_length", "db.row_count"),
    )
    assert_span(empty, resource="redis.command", metrics={"redis.pipeline_length": 0})  # the span's name


def test_watched_pipeline_traces_its_immediate_commands(patched, spans, r):
    with r.pipeline() as pipe:
        pipe.watch("w")
        assert pipe.get("w") is None
        pipe.multi()
        pipe.set("w", 1)
        assert pipe.execute() == [True]
    assert [s.resource for s in spans.named("redis.command")] == ["WATCH", "GET", "SET"]


def test_passwords_are_never_shown(patched, spans, r):
    with pytest.raises(redis.RedisError):
        r.execute_command("AUTH", "hunter2")
    with pytest.raises(redis.RedisError):
        r.execute_command("AUTH", "someone", "hunter2")
    (one, two) = spans.named("redis.command")
    assert one.get_tag("redis.raw_command") == "AUTH ?" and two.get_tag("redis.raw_command") == "AUTH ? ?"


@pytest.mark.parametrize(
    "args, shown",
    [
        (("HELLO", 3, "AUTH", "default", "pw", "SETNAME", "n"), "HELLO 3 AUTH ? ? SETNAME n"),
        (("MIGRATE", "h", 1, "", 0, 5, "AUTH", "pw", "KEYS", "a"), "MIGRATE h 1  0 5 AUTH ? KEYS a"),
        (("MIGRATE", "h", 1, "k", 0, 5, "AUTH2", "u", "pw"), "MIGRATE h 1 k 0 5 AUTH2 ? ?"),
        (("CONFIG", "SET", "requirepass", "pw", "maxmemory", "1mb"), "CONFIG SET requirepass ? maxmemory 1mb"),
        (("config", "set", "masterauth", b"pw"), "config set masterauth ?"),
        (("ACL", "SETUSER", "bob", "on", ">pw", "#abc", "~*", "+@all"), "ACL SETUSER bob on ? ? ~* +@all"),
        ((b"AUTH", b"pw"), "AUTH ?"),
        (("CONFIG SET", "masterauth", "pw"), "CONFIG SET masterauth ?"),  # as redis-py sends a subcommand
        (("ACL SETUSER", "bob", b"on", b">pw", b"~*"), "ACL SETUSER bob on ? ~*"),
        (("AUTH pw",), "AUTH ?"),
        (("GET", b"\xff\x00"), "GET \\xff\x00"),
        (("SET", "k", 1.5), "SET k 1.5"),
    ],
)
def test_format_command(args, shown):
    assert format_command(args, 1000) == shown


_heads = st.sampled_from(["GET", "SET", "AUTH", "auth", "HELLO", "MIGRATE", "CONFIG SET", "config", "ACL SETUSER"])
_values = st.one_of(
    st.text(max_size=120),
    st.binary(max_size=120),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["AUTH", "AUTH2", "SET", "requirepass", ">pw", "#h", "~*"]),
)


@given(
    args=st.one_of(
        st.tuples(st.one_of(_heads, st.binary(max_size=8)), st.lists(_values, max_size=8)).map(lambda t: (t[0], *t[1])),
        st.lists(_values, max_size=4).map(tuple),
    ),
    limit=st.integers(min_value=0, max_value=300),
)
def test_the_one_step_join_shows_what_the_general_path_shows(args, limit):
    """A short command is joined in one step; whatever the values, secrets and limits, it reads as the value-by-value
    path (the cases above pin that path's output) shows it."""
    assert format_command(args, limit) == redis_patch._format(args, limit)


def test_command_names_remembered_for_the_secret_check_stay_bounded():
    for i in range(2_000):
        format_command((f"CMD{i}", "k"), 1000)
    assert 0 < len(redis_patch._ordinary_heads) <= 512
    assert format_command(("AUTH", "pw"), 1000) == "AUTH ?"


def test_a_value_that_cannot_be_shown_ends_the_command():
    class Unprintable:
        def __str__(self):
            raise ValueError("no")

    assert format_command(("SET", Unprintable(), "v"), 1000) == "SET ?"


def test_async_command_and_pipeline(patched, spans):
    async def calls():
        client = aredis.Redis(host="127.0.0.1", port=PORT, db=6, client_name="async")
        assert await client.set("a", "1") is True
        assert await client.mget("a", "b") == [b"1", None]
        async with client.pipeline() as pipe:
            assert await pipe.get("a").incr("a").execute() == [b"1", 2]
        await client.flushdb()
        await client.aclose()

    asyncio.run(calls())
    set_span, mget, pipeline, _ = spans.named("redis.command")
    assert_span(set_span, resource="SET", meta={"redis.client_name": "async"}, metrics={"out.redis_db": 6})
    assert mget.get_metric("db.row_count") == 1
    assert_span(pipeline, resource="GET\nINCRBY", metrics={"redis.pipeline_length": 2})


def test_cluster_command_and_pipeline(patched, spans, redis_cluster):
    host, port = redis_cluster.rsplit(":", 1)
    cluster = redis.RedisCluster(host=host, port=int(port))
    spans.clear()  # the client's own discovery commands
    assert cluster.set("c", "1") is True
    with cluster.pipeline() as pipe:
        assert pipe.get("c").set("d", "2").execute() == [b"1", True]
    cluster.close()
    command, pipeline = spans.named("redis.command")
    address = {"out.host": host, "server.address": host}
    assert_span(
        command, resource="SET", meta=address, metrics={"out.redis_db": 0, "network.destination.port": int(port)}
    )
    assert_span(pipeline, resource="GET\nSET", meta={"redis.raw_command": "GET c\nSET d 2"})
    assert pipeline.get_metric("redis.pipeline_length") == 2


def test_async_cluster_pipeline(patched, spans, redis_cluster):
    host, port = redis_cluster.rsplit(":", 1)

    async def calls():
        cluster = aredis.RedisCluster(host=host, port=int(port))
        async with cluster.pipeline() as pipe:
            assert await pipe.set("e", "1").get("e").execute() == [True, b"1"]
        await cluster.aclose()

    asyncio.run(calls())
    assert_span(spans.named("redis.command")[-1], resource="SET\nGET", meta={"redis.raw_command": "SET e 1\nGET e"})


def test_untraced_calls_go_straight_through(spans, r):
    ddtrace_integrations.patch(redis=True)
    try:
        with plugins_off("redis"):
            assert r.set("k", "v") is True
            assert r.pipeline().get("k").execute() == [b"v"]
    finally:
        ddtrace_integrations.unpatch(redis=True)
    assert spans.named("redis.command") == []


def test_unpatched_after_unpatch(spans, r):
    ddtrace_integrations.patch(redis=True)
    ddtrace_integrations.unpatch(redis=True)
    r.ping()
    assert spans.named("redis.command") == []
    assert not hasattr(redis.Redis.execute_command, "__wrapped__")
