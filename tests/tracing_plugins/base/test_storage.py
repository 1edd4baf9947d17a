"""StoragePlugin on its own: a store that is not a SQL database (the fake key-value store), and the resource
rule every plugin follows (an empty resource is left to the tracer, except where ddtrace passes it on)."""

from __future__ import annotations

import pytest
from helpers import assert_span
from helpers import plugins_off
from helpers import run_python

from ddtrace_integrations import _ddtrace as dd


def test_a_command_is_one_storage_span(fake_kv, spans):
    client = fake_kv.Client(db=2, username="cacher")
    client.set("user:1", "ada")
    assert client.get("user:1") == "ada"
    assert client.sent == [("SET", "user:1", "ada"), ("GET", "user:1")]  # the call itself is untouched
    get = spans.one("fakekv.call", resource="GET")
    assert_span(
        get,
        service="fakekv",
        span_type="cache",
        error=0,
        meta={
            "component": "fakekv",
            "span.kind": "client",
            "db.system": "fakekv",
            "db.user": "cacher",
            "out.host": "cache.internal",
            "server.address": "cache.internal",
            "fakekv.raw_command": "GET user:1",
        },
        metrics={"network.destination.port": 6380, "out.fakekv_db": 2, "_dd.measured": 1, "db.row_count": 1},
        absent=["db.name", "_dd.dbm_trace_injected", "sql.query"],
    )
    assert_span(spans.one("fakekv.call", resource="SET"), absent=["db.row_count"])


def test_rows_counted_by_the_publisher(fake_kv, spans):
    client = fake_kv.Client()
    client.set("a", 1)
    client.execute_command("MGET", "a", "b", "c")
    client.get("missing")
    assert_span(spans.one("fakekv.call", resource="MGET"), metrics={"db.row_count": 1})
    assert_span(spans.one("fakekv.call", resource="GET"), metrics={"db.row_count": 0})


def test_the_raw_command_is_what_the_publisher_shows(fake_kv, spans):
    fake_kv.Client().set("k", "v" * 500)
    raw = spans.one("fakekv.call").get_tag("fakekv.raw_command")
    assert raw == ("SET k " + "v" * 500)[:100]


def test_an_error_passes_through_and_marks_the_span(fake_kv, spans):
    client = fake_kv.Client()
    with pytest.raises(fake_kv.FakeKvError, match="unknown command 'FLY'"):
        client.execute_command("FLY", "away")
    assert_span(
        spans.one("fakekv.call", resource="FLY"),
        error=1,
        meta={"error.type": "fakekv.FakeKvError", "error.message": "unknown command 'FLY'"},
    )


def test_peer_service_from_the_host_or_a_named_database_first(fake_kv, spans, monkeypatch):
    monkeypatch.setattr(dd.peer_service_config, "_set_defaults_enabled", True)
    fake_kv.Client().get("a")
    fake_kv.Client(namespace="sessions").set("a", 1)
    assert_span(
        spans.one("fakekv.call", resource="GET"),
        meta={"peer.service": "cache.internal", "_dd.peer.service.source": "out.host"},
        absent=["db.name"],
    )
    assert_span(
        spans.one("fakekv.call", resource="SET"),
        meta={"db.name": "sessions", "peer.service": "sessions", "_dd.peer.service.source": "db.name"},
    )


SCHEMA = """
import os, sys
sys.path[:0] = [os.path.join("tests", "fakes"), "tests"]
from ddtrace.trace import TraceFilter, tracer
from conftest import FAKE_KV
from ddtrace_integrations import _patching, patch
class Show(TraceFilter):
    def process_trace(self, trace):
        print(*[(s.name, s.resource, s.service) for s in trace])
tracer.configure(trace_processors=[Show()])
_patching.BUILTIN["fakekv"] = FAKE_KV
patch(fakekv=True)
import fakekv
fakekv.Client().get("a")
tracer.flush()
"""


@pytest.mark.parametrize(("schema", "name"), [("v0", "fakekv.call"), ("v1", "fakekv.command")])
def test_the_span_name_follows_the_schema(schema, name):
    out = run_python(SCHEMA, {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": schema})
    assert out.split("\n")[0] == f"('{name}', 'GET', 'fakekv')", out


# --- the empty resource: what ddtrace does, and what the base classes do ---


def test_ddtrace_event_integrations_leave_an_empty_resource_to_the_tracer(spans):
    """ddtrace's own handlers (``redis.command`` here, as its redis integration opens it) drop an empty resource."""
    with dd.core.context_with_data("redis.command", span_name="ddtrace.own", resource="", call_trace=True):
        pass
    assert spans.one("ddtrace.own").resource == "ddtrace.own"


def test_an_empty_command_is_left_to_the_tracer(fake_kv, spans):
    with pytest.raises(fake_kv.FakeKvError):
        fake_kv.Client().execute_command("")
    assert_span(spans.one("fakekv.call"), resource="fakekv.call", error=1)


def test_a_database_keeps_an_empty_query_as_ddtrace_dbapi_does(fake_dbapi, spans):
    """ddtrace's DB-API (and asyncpg) integrations pass the query on as the resource, "" included."""
    from ddtrace.contrib.dbapi import TracedCursor

    with plugins_off("fakedbapi"):
        TracedCursor(fake_dbapi.Connection().cursor()).execute("")
    assert spans.one("sql.query").resource == ""
    fake_dbapi.Connection().cursor().execute("")
    assert spans.one("fakesql.query").resource == ""


def test_a_connections_tags_are_built_once_and_shared():
    """Address, database and the store's own connection tags make one dict per distinct connection: the span's
    shared tags (``start_span(tags=...)``), merged once with the class's."""
    from ddtrace_integrations.tracing_plugins.base.storage import storage_tags

    shared = storage_tags("out.kv_db", "kv.internal", 7000, "app", None, 3, (("kv.client_name", "billing"),))
    assert shared == {
        "out.host": "kv.internal",
        "server.address": "kv.internal",
        "network.destination.port": 7000,
        "db.user": "app",
        "out.kv_db": 3,
        "kv.client_name": "billing",
    }
    assert storage_tags("out.kv_db", "kv.internal", 7000, "app", None, 3, (("kv.client_name", "billing"),)) is shared
    assert storage_tags(None, None, None, None, None, 3, ()) == {}  # no index tag declared: the index is not tagged
