"""TracingPlugin: span basics, fault isolation, runtime disable, pass-through of results and errors."""

from __future__ import annotations

import logging

import pytest
from fakes.fakelib_plugins import FakeQueryPlugin
from helpers import assert_span

from ddtrace_integrations import _ddtrace as dd
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


def test_service_and_source_follow_settings_changed_at_runtime(fake, spans, monkeypatch):
    """The service and ``_dd.svc_src`` of a span are worked out once per set of settings: every setting they come
    from, changed after spans were made, reaches the next span."""
    import ddtrace

    from ddtrace_integrations._ddtrace import Pin

    conn = fake.Connection()

    def service_and_source():
        conn.execute("select 1")
        span = spans.named("fakedb.query")[-1]
        return span.service, span.get_tag("_dd.svc_src")

    assert service_and_source() == ("fakedb", "fakelib")
    monkeypatch.setitem(ddtrace.config.fakelib, "service", "inventory-db")
    assert service_and_source() == ("inventory-db", None)
    monkeypatch.setitem(ddtrace.config.fakelib, "service", None)
    monkeypatch.setitem(ddtrace.config.fakelib, "_default_service", "stock")
    assert service_and_source() == ("stock", "fakelib")
    monkeypatch.setitem(ddtrace.config.service_mapping, "stock", "stock-primary")  # the mapping, changed in place
    assert service_and_source() == ("stock-primary", "opt.service_mapping")
    monkeypatch.setitem(ddtrace.config.fakelib, "split_by_domain", True)
    monkeypatch.delitem(ddtrace.config.service_mapping, "stock")
    assert service_and_source() == ("stock", "opt.split_by_domain")
    original = Pin.get_from(fake)
    Pin.override(fake, service="pinned-db")
    try:
        assert service_and_source() == ("pinned-db", "opt.split_by_domain")
    finally:
        original.onto(fake)
    assert service_and_source() == ("stock", "opt.split_by_domain")


def test_internal_service_follows_settings_changed_at_runtime(fake, spans, monkeypatch):
    """A span inside the application takes the pin's service, the integration's, the application's (DD_SERVICE)
    or the integration's default, as ddtrace's ``int_service``; read again whenever one of them changes."""
    import ddtrace

    from ddtrace_integrations._ddtrace import Pin

    def service():
        fake.render("page.html")
        return spans.named("fakelib.render")[-1].service

    monkeypatch.setitem(ddtrace.config.fakelib, "_default_service", "fake-frontend")
    assert service() == "fake-frontend"
    monkeypatch.setattr(ddtrace.config, "service", "storefront")
    assert service() == "storefront"
    monkeypatch.setitem(ddtrace.config.fakelib, "service_name", "renderer")
    assert service() == "renderer"
    monkeypatch.setitem(ddtrace.config.fakelib, "service", "templates")
    assert service() == "templates"
    original = Pin.get_from(fake)
    Pin.override(fake, service="pinned")
    try:
        assert service() == "pinned"
    finally:
        original.onto(fake)
    assert service() == "templates"


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

    # a failure once the span is open: the DBM comment, with DBM propagation on
    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "service")
    monkeypatch.setattr(DatabasePlugin, "propagate_dbm", broken)
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


def test_a_plugin_switched_off_still_ends_the_spans_it_opened(fake, spans):
    """Spans a plugin opened before it was switched off (at runtime, or by a failure in another call) end with
    their calls: an open span would hold back its whole trace."""
    from fakes.fakelib_plugins import FakeSendPlugin

    first, second = fake.Broker().send_later("orders", b"x"), fake.Broker().send_later("orders", b"y")
    tracing_plugins.unregister(FakeSendPlugin)
    first.settle()
    second.settle(TimeoutError("no answer"))
    assert [s.error for s in spans.named("fakemq.produce")] == [0, 0]  # ended, not described any further
    fake.Broker().send_later("orders", b"z").settle()  # while off: no span at all
    assert len(spans.named("fakemq.produce")) == 2
    tracing_plugins.register(FakeSendPlugin)
    fake.Broker().send_later("orders", b"again").settle()
    assert len(spans.named("fakemq.produce")) == 3


def test_every_failing_plugin_logs_its_failure_however_close_together(fake, spans, monkeypatch, caplog):
    """ddtrace's loggers keep one record per call site a minute: two plugins failing together each still say so."""
    from fakes.fakelib_plugins import FakeSendPlugin

    def broken(*args, **kwargs):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(dd.dbm_config, "propagation_mode", "service")
    monkeypatch.setattr(DatabasePlugin, "propagate_dbm", broken)
    monkeypatch.setattr(FakeSendPlugin, "on_start", broken)
    with caplog.at_level(logging.ERROR, logger="ddtrace_integrations"):
        assert fake.Connection().execute("select 1") == 3
        assert fake.Broker().send("orders", b"x") == 0
    failed = [r.getMessage() for r in caplog.records if r.getMessage().endswith("failed and is now disabled")]
    assert failed == [
        f"ddtrace-integrations plugin {name} failed and is now disabled"
        for name in ("FakeQueryPlugin", "FakeSendPlugin")
    ]
