"""Distributed context from untrusted headers (InboundPlugin, on the server and on the consumer side): whatever a
caller sends, extraction never raises into the application, and a span only continues or links to a context
whose ids the headers really carry in a well-formed way (property-based, with hypothesis)."""

from __future__ import annotations

import re
from typing import Dict
from typing import Optional
from typing import Set
from typing import Tuple

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

MAX_64 = 2**64
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")

_ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    st.text(max_size=40),
    st.just(""),
)
_hex = st.text(alphabet="0123456789abcdefABCDEFxyz-", min_size=0, max_size=34)
_traceparent = st.one_of(
    st.builds(lambda v, t, p, f: f"{v}-{t}-{p}-{f}", _hex, _hex, _hex, _hex),
    st.from_regex(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", fullmatch=True),
    st.text(max_size=80),
)
_values: Dict[str, st.SearchStrategy[str]] = {
    "x-datadog-trace-id": _ids,
    "x-datadog-parent-id": _ids,
    "x-datadog-sampling-priority": _ids,
    "x-datadog-origin": st.text(max_size=20),
    "x-datadog-tags": st.one_of(st.text(max_size=60), st.from_regex(r"_dd\.p\.tid=[0-9a-fx]{0,18}", fullmatch=True)),
    "traceparent": _traceparent,
    "tracestate": st.text(max_size=80),
    "baggage": st.text(max_size=60),
}
headers_strategy = st.fixed_dictionaries({}, optional=_values).map(
    lambda h: {k: v for k, v in h.items() if "\x00" not in v}
)


def _decimal(value: Optional[str]) -> Optional[int]:
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 < number < MAX_64 else None


def carried_ids(headers: Dict[str, str]) -> Set[Tuple[int, int]]:
    """(trace id, parent id) pairs the headers carry well-formed: a span may continue or link to these only."""
    found = set()
    trace_id, parent_id = _decimal(headers.get("x-datadog-trace-id")), _decimal(headers.get("x-datadog-parent-id"))
    if trace_id and parent_id:
        found.add((trace_id, parent_id))
    match = TRACEPARENT.fullmatch(headers.get("traceparent", "").strip().lower())
    if match and int(match[1], 16) and int(match[2], 16):
        found.add((int(match[1], 16), int(match[2], 16)))
    return found


def continues_only_what_was_carried(trace_id: int, parent_id: int, headers: Dict[str, str]) -> bool:
    """The datadog headers carry a trace id's lower 64 bits (the upper half travels in ``_dd.p.tid``)."""
    return any(
        parent_id == parent and trace_id in (trace, trace + (trace_id >> 64 << 64))
        for trace, parent in carried_ids(headers)
    )


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
