"""DatabasePlugin: DBM comments in every mode, handed back to the library through the context."""

from __future__ import annotations

import pytest
from helpers import assert_span

from ddtrace_integrations import _ddtrace as dd


@pytest.fixture
def dbm(monkeypatch):
    def set_mode(mode: str) -> None:
        monkeypatch.setattr(dd.dbm_config, "propagation_mode", mode)

    monkeypatch.setattr(dd.config, "service", "orders-api")
    monkeypatch.setattr(dd.config, "env", "prod")
    monkeypatch.setattr(dd.config, "version", "1.2")
    return set_mode


def test_disabled_mode_sends_the_query_untouched(fake, spans, dbm):
    dbm("disabled")
    conn = fake.Connection()
    conn.execute("select 1")
    assert conn.received == ["select 1"]
    assert_span(spans.one("fakedb.query"), absent=["_dd.dbm_trace_injected"])


def test_service_mode_comment(fake, spans, dbm):
    dbm("service")
    conn = fake.Connection(host="db host", database="inv,entory")
    conn.execute("select 1")
    assert conn.received == [
        "/*dddb='inv%%2Centory',dddbs='fakedb',dde='prod',ddh='db%%20host',ddps='orders-api',ddpv='1.2'*/ select 1"
    ]
    span = spans.one("fakedb.query")
    assert_span(span, resource="select 1", absent=["_dd.dbm_trace_injected"])


def test_full_mode_adds_traceparent_after_sampling(fake, spans, dbm):
    dbm("full")
    conn = fake.Connection()
    conn.execute("select 1")
    span = spans.one("fakedb.query")
    assert span.context.sampling_priority is not None
    flags = "01" if span.context.sampling_priority > 0 else "00"
    traceparent = f"00-{span.trace_id:032x}-{span.span_id:016x}-{flags}"
    assert conn.received == [
        "/*dddb='inventory',dddbs='fakedb',dde='prod',ddh='db.internal',ddps='orders-api',ddpv='1.2',"
        f"traceparent='{traceparent}'*/ select 1"
    ]
    assert_span(span, meta={"_dd.dbm_trace_injected": "true"})


def test_bytes_query_gets_a_bytes_comment(fake, spans, dbm):
    dbm("service")
    conn = fake.Connection()
    conn.execute(b"select 1")
    assert isinstance(conn.received[0], bytes) and conn.received[0].endswith(b"*/ select 1")


def test_unsupported_query_type_is_a_clean_skip(fake, spans, dbm):
    dbm("full")
    conn = fake.Connection()
    query = object()
    conn.execute(query)
    assert conn.received == [query]
    assert_span(spans.one("fakedb.query"), absent=["_dd.dbm_trace_injected"])


def test_a_query_is_never_commented_twice(fake, spans, dbm):
    dbm("service")
    conn = fake.Connection()
    already = "/*dddbs='other',ddps='app'*/ select 1"
    conn.execute(already)
    assert conn.received == [already]


def test_peer_service_defaults_name_the_database_service_after_db_name(fake, spans, dbm, monkeypatch):
    dbm("service")
    monkeypatch.setattr(dd.peer_service_config, "_set_defaults_enabled", True)
    conn = fake.Connection()
    conn.execute("select 1")
    assert "dddbs='inventory'" in conn.received[0]


def test_rowcount_and_db_tags(fake, spans):
    fake.Connection().execute("select 1")
    assert_span(
        spans.one("fakedb.query"),
        meta={"db.system": "fakedb", "db.user": "alice", "db.name": "inventory"},
        metrics={"db.row_count": 3},
    )


@pytest.mark.parametrize(("mode", "basehash_setting"), [("dynamic_service", False), ("service", True)])
def test_base_hash_modes(fake, spans, dbm, monkeypatch, mode, basehash_setting):
    dbm(mode)
    monkeypatch.setattr(dd.dbm_config, "inject_sql_basehash", basehash_setting)
    monkeypatch.setattr(dd, "base_hash", lambda: "8123")
    conn = fake.Connection()
    conn.execute("select 1")
    assert conn.received == [
        "/*dddb='inventory',dddbs='fakedb',dde='prod',ddh='db.internal',ddps='orders-api',ddpv='1.2',ddsh='8123'*/"
        " select 1"
    ]
    assert_span(spans.one("fakedb.query"), meta={"_dd.propagated_hash": "8123"})


def test_service_mode_without_base_hash_setting_sends_none(fake, spans, dbm, monkeypatch):
    dbm("service")
    monkeypatch.setattr(dd.dbm_config, "inject_sql_basehash", False)
    monkeypatch.setattr(dd, "base_hash", lambda: "8123")
    conn = fake.Connection()
    conn.execute("select 1")
    assert "ddsh" not in conn.received[0]
