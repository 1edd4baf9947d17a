"""OutboundPlugin: host tags and peer.service, and ddtrace's own peer-service processor agreeing with it."""

from __future__ import annotations

import pytest
from helpers import assert_span

from ddtrace_integrations import _ddtrace as dd


@pytest.fixture
def peer_service(monkeypatch):
    """Peer-service defaults on, as DD_TRACE_PEER_SERVICE_DEFAULTS_ENABLED=true would set them."""
    from ddtrace.trace import tracer

    monkeypatch.setattr(dd.peer_service_config, "_set_defaults_enabled", True)
    monkeypatch.setattr(dd.peer_service_config, "_peer_service_mapping", {})
    processor = tracer._span_aggregator.dd_processors[0]
    monkeypatch.setattr(processor, "_set_defaults_enabled", True)
    return dd.peer_service_config._peer_service_mapping


def test_host_tags(fake, spans):
    fake.Connection().execute("select 1")
    assert_span(
        spans.one("fakedb.query"),
        meta={"out.host": "db.internal", "server.address": "db.internal"},
        metrics={"network.destination.port": 5433},
    )


def test_no_peer_service_when_defaults_are_off(fake, spans):
    fake.Connection().execute("select 1")
    assert_span(spans.one("fakedb.query"), absent=["peer.service", "_dd.peer.service.source"])


def test_precursor_tag_wins_over_host(fake, spans, peer_service):
    fake.Connection().execute("select 1")
    assert_span(spans.one("fakedb.query"), meta={"peer.service": "inventory", "_dd.peer.service.source": "db.name"})


def test_host_is_the_fallback(fake, spans, peer_service):
    fake.Connection(database="").execute("select 1")
    assert_span(spans.one("fakedb.query"), meta={"peer.service": "db.internal", "_dd.peer.service.source": "out.host"})


def test_class_precursor_unknown_to_ddtrace_survives_its_processor(fake, spans, peer_service):
    fake.Broker().send("orders", b"x")
    assert_span(
        spans.one("fakemq.produce"),
        meta={"peer.service": "broker.internal:9092", "_dd.peer.service.source": "messaging.fakemq.brokers"},
    )


def test_user_set_peer_service_is_kept_and_remapped(fake, spans, peer_service):
    from ddtrace_integrations._ddtrace import Pin

    peer_service["billing-db"] = "billing-primary"
    original = Pin.get_from(fake)
    Pin.override(fake, tags={"peer.service": "billing-db"})
    try:
        fake.Connection().execute("select 1")
    finally:
        original.onto(fake)
    assert_span(
        spans.one("fakedb.query"),
        meta={
            "peer.service": "billing-primary",
            "_dd.peer.service.source": "peer.service",
            "_dd.peer.service.remapped_from": "billing-db",
        },
    )


def test_mapping_applies_to_derived_values(fake, spans, peer_service):
    peer_service["inventory"] = "inventory-cluster"
    fake.Connection().execute("select 1")
    assert_span(
        spans.one("fakedb.query"),
        meta={
            "peer.service": "inventory-cluster",
            "_dd.peer.service.source": "db.name",
            "_dd.peer.service.remapped_from": "inventory",
        },
    )
