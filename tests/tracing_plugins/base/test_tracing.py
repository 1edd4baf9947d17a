"""TracingPlugin: span basics, fault isolation, runtime disable, pass-through of results and errors."""

from __future__ import annotations

import logging

import pytest
from fakes.fakelib_plugins import FakeQueryPlugin
from helpers import assert_span

from ddtrace_integrations import tracing_plugins
from ddtrace_integrations.tracing_plugins.base.database import DatabasePlugin


def test_span_has_component_kind_service_source_and_measured(fake, spans):
    assert fake.Connection().execute("select 1") == 3
    span = spans.one("fakedb.query")
    assert_span(
        span,
        service="fakedb",
        resource="select 1",
        span_type="sql",
        meta={"component": "fakelib", "span.kind": "client", "_dd.svc_src": "fakelib", "db.system": "fakedb"},
        metrics={"_dd.measured": 1},
    )


def test_service_override_from_integration_config(fake, spans):
    import ddtrace

    ddtrace.config.fakelib.service = "inventory-db"
    try:
        fake.Connection().execute("select 1")
    finally:
        ddtrace.config.fakelib.service = None
    assert_span(spans.one("fakedb.query"), service="inventory-db", absent=["_dd.svc_src"])


def test_exception_passes_through_unchanged_and_is_tagged(fake, spans):
    with pytest.raises(fake.FakeError) as raised:
        fake.Connection().execute("fail please")
    assert str(raised.value) == "query failed"
    assert_span(
        spans.one("fakedb.query"),
        error=1,
        meta={"error.type": "fakelib.FakeError", "error.message": "query failed"},
    )


def test_failing_plugin_is_switched_off_and_logged_once(fake, spans, monkeypatch, caplog):
    def broken(self, span, db):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(DatabasePlugin, "set_database_tags", broken)
    conn = fake.Connection()
    with caplog.at_level(logging.ERROR, logger="ddtrace_integrations"):
        assert conn.execute("select 1") == 3
        assert conn.execute("select 2") == 3
    plugin = tracing_plugins.get(FakeQueryPlugin)
    assert plugin.enabled is False
    errors = [r for r in caplog.records if "FakeQueryPlugin failed" in r.getMessage()]
    assert len(errors) == 1
    # the span opened before the failure was closed, so it cannot leak into the application's context
    assert [s.resource for s in spans.named("fakedb.query")] == ["select 1"]
    from ddtrace.trace import tracer

    assert tracer.current_span() is None
    assert conn.received == ["select 1", "select 2"]


def test_disable_and_reenable_at_runtime_without_unpatching(fake, spans):
    conn = fake.Connection()
    tracing_plugins.unregister(FakeQueryPlugin)
    conn.execute("while off")
    assert spans.named("fakedb.query") == []
    tracing_plugins.register(FakeQueryPlugin)
    conn.execute("on again")
    assert [s.resource for s in spans.named("fakedb.query")] == ["on again"]


def test_disabled_tracer_skips_the_span(fake, spans):
    from ddtrace.trace import tracer

    tracer.enabled = False
    try:
        assert fake.Connection().execute("select 1") == 3
    finally:
        tracer.enabled = True
    assert spans.named("fakedb.query") == []
