"""ProducerPlugin and ConsumerPlugin: headers injected into a copy, consumer spans linked to producers."""

from __future__ import annotations

import time

import pytest
from ddtrace.trace import tracer
from helpers import assert_span


def test_producer_injects_into_a_copy_of_the_callers_headers(fake, spans):
    broker = fake.Broker()
    caller_headers = {"app": "1"}
    broker.send("orders", b"x", caller_headers)
    assert caller_headers == {"app": "1"}
    sent = broker.queue[0].headers
    assert sent is not caller_headers and sent["app"] == "1"
    span = spans.one("fakemq.produce")
    assert sent["x-datadog-trace-id"] == str(span._trace_id_64bits)
    assert sent["x-datadog-parent-id"] == str(span.span_id)
    assert_span(
        span,
        resource="orders",
        span_type="worker",
        meta={"span.kind": "producer", "messaging.system": "fakemq", "messaging.destination.name": "orders"},
        metrics={"_dd.measured": 1},
    )


def test_consumer_span_links_to_the_producer_and_covers_the_wait(fake, spans):
    broker = fake.Broker()
    broker.send("orders", b"x")
    producer = spans.one("fakemq.produce")
    before = time.time_ns()
    assert len(broker.receive("orders")) == 1
    consumer = spans.one("fakemq.consume")
    assert consumer.start_ns >= before and consumer.trace_id != producer.trace_id
    [link] = consumer._get_links()
    assert (link.trace_id, link.span_id) == (producer.trace_id, producer.span_id)
    assert_span(
        consumer,
        resource="orders",
        meta={"span.kind": "consumer", "messaging.destination.name": "orders"},
        metrics={"messaging.kafka.offset": 0},
    )


@pytest.fixture
def consume_as_child():
    import ddtrace

    ddtrace.config.fakelib.consume_as_child = True
    yield
    ddtrace.config.fakelib.consume_as_child = False


def test_consumer_can_be_a_child_instead(fake, spans, consume_as_child):
    broker = fake.Broker()
    broker.send("orders", b"x")
    producer = spans.one("fakemq.produce")
    broker.receive("orders")
    consumer = spans.one("fakemq.consume")
    assert (consumer.trace_id, consumer.parent_id) == (producer.trace_id, producer.span_id)
    assert consumer._get_links() == []


def test_a_consumer_span_with_another_parent_leaves_the_callers_span_current(fake, spans, consume_as_child):
    broker = fake.Broker()
    broker.send("orders", b"x")
    with tracer.trace("app.work") as outer:
        broker.receive("orders")
        assert tracer.current_span() is outer
    assert spans.one("fakemq.consume").parent_id == spans.one("fakemq.produce").span_id


def test_empty_receive_is_still_traced(fake, spans):
    assert fake.Broker().receive("orders") == []
    assert spans.one("fakemq.consume")._get_links() == []


@pytest.mark.parametrize("as_child", [False, True])
def test_batch_consume_links_every_message_even_when_children_are_configured(fake, spans, as_child):
    import ddtrace

    ddtrace.config.fakelib.consume_as_child = as_child
    broker = fake.Broker()
    broker.send("orders", b"a")
    broker.send("orders", b"b")
    producers = {(s.trace_id, s.span_id) for s in spans.named("fakemq.produce")}
    try:
        broker.receive("orders", max_messages=2)
    finally:
        ddtrace.config.fakelib.consume_as_child = False
    consumer = spans.one("fakemq.consume")
    assert consumer.parent_id is None
    assert {(link.trace_id, link.span_id) for link in consumer._get_links()} == producers


def test_a_send_acknowledged_later_ends_then_and_is_not_left_active(fake, spans):
    with tracer.trace("job") as job:
        delivery = fake.Broker().send_later("orders", b"x")
        assert tracer.current_span() is job
        assert spans.named("fakemq.produce") == []
    delivery.settle()
    producer = spans.one("fakemq.produce")
    assert producer.parent_id == job.span_id and producer.error == 0
    assert producer.get_metric("messaging.kafka.partition") == 0


def test_a_send_acknowledged_later_leaves_what_was_active_before_it(fake, spans):
    """Whatever was active when the send started is active again once it returned: a remote context, or
    nothing at all."""
    from ddtrace.trace import Context

    remote = Context(trace_id=12345, span_id=678, is_remote=True)
    tracer.context_provider.activate(remote)
    try:
        delivery = fake.Broker().send_later("orders", b"x")
        assert tracer.context_provider.active() is remote
    finally:
        tracer.context_provider.activate(None)
    delivery.settle()
    assert spans.one("fakemq.produce").parent_id == 678
    delivery = fake.Broker().send_later("orders", b"y")
    assert tracer.context_provider.active() is None
    delivery.settle()


def test_a_send_acknowledged_later_ends_with_its_failure(fake, spans):
    fake.Broker().send_later("orders", b"x").settle(TimeoutError("no answer"))
    assert_span(spans.one("fakemq.produce"), error=1, meta={"error.type": "builtins.TimeoutError"})


def test_a_send_that_raises_ends_at_once_with_the_error(fake, spans):
    with pytest.raises(ValueError):
        fake.Broker().send_later("", b"x")
    assert_span(spans.one("fakemq.produce"), error=1, meta={"error.message": "no topic"})


@pytest.fixture
def with_data_streams(fake, monkeypatch):
    from fakes import fakelib_plugins

    for plugin in (fakelib_plugins.FakeSendPlugin, fakelib_plugins.FakeReceivePlugin):
        monkeypatch.setattr(plugin, "data_streams", True)


def test_data_streams_are_opt_in_per_integration(fake, spans, data_streams):
    broker = fake.Broker()
    broker.send("orders", b"x")
    assert "dd-pathway-ctx-base64" not in broker.queue[0].headers
    broker.receive("orders")
    assert data_streams.processor._buckets == {}


def test_a_pathway_runs_from_the_producers_checkpoint_to_the_consumers(fake, spans, with_data_streams, data_streams):
    broker = fake.Broker()
    caller = {"app": "1"}
    broker.send("orders", b"payload", caller)
    sent = broker.queue[0].headers
    assert caller == {"app": "1"} and "dd-pathway-ctx-base64" in sent and "x-datadog-trace-id" in sent
    broker.receive("orders")
    [(out_hash, _, out)] = data_streams.pathways("direction:out", "topic:orders", "type:fakemq")
    [(in_hash, parent, _)] = data_streams.pathways("direction:in", "topic:orders", "type:fakemq")
    assert parent == out_hash == int(spans.one("fakemq.produce").get_tag("pathway.hash"))
    assert in_hash == int(spans.one("fakemq.consume").get_tag("pathway.hash"))
    # what was sent: the payload, the caller's header, and the pathway header the processor adds itself
    pathway = len("dd-pathway-ctx-base64") + len(sent["dd-pathway-ctx-base64"])
    assert out.payload_size.to_proto() == data_streams.sketch_of(len(b"payload") + len("app1") + pathway)
