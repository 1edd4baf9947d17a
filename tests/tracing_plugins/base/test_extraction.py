"""Distributed context from untrusted headers (InboundPlugin, on the server and on the consumer side): whatever a
caller sends, extraction never raises into the application, and a span only continues or links to a context
whose ids the headers really carry in a well-formed way (property-based, with hypothesis)."""

from __future__ import annotations

from helpers import continues_only_what_was_carried
from helpers import headers_strategy
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(headers=headers_strategy)
def test_a_request_with_any_propagation_headers_is_served_and_continues_only_wellformed_contexts(fake, spans, headers):
    spans.clear()
    status, _ = fake.handle("GET", "/users/1", dict(headers))
    assert status == 200
    request = spans.one("fakelib.request")
    if request.parent_id:
        assert continues_only_what_was_carried(request.trace_id, request.parent_id, headers), (headers, request)


@SETTINGS
@given(headers=headers_strategy)
def test_a_message_with_any_propagation_headers_is_received_and_links_only_wellformed_contexts(fake, spans, headers):
    spans.clear()
    broker = fake.Broker()
    broker.queue.append(fake.Message("orders", b"x", dict(headers), 0))
    assert [m.value for m in broker.receive("orders")] == [b"x"]
    consumer = spans.one("fakemq.consume")
    for link in consumer._get_links():
        assert continues_only_what_was_carried(link.trace_id, link.span_id, headers), (headers, link)
    if consumer.parent_id:  # a child of its producer, when so configured
        assert continues_only_what_was_carried(consumer.trace_id, consumer.parent_id, headers), (headers, consumer)
