"""Kafka under bad input, through each client (confluent-kafka, aiokafka, kafka-python) against the real broker:
a catalog of messages (None keys and values, non-UTF-8 keys, huge and many headers, headers of every shape and
type), each produced and consumed exactly as with the plugins off, with its produce and consume spans; and a
property test: messages whose headers carry malformed ``traceparent``/``tracestate``/``x-datadog-*`` values
(arbitrary bytes, non-UTF-8, repeated names) are consumed as sent, and the consume span continues or links
only to a well-formed context they carried."""

from __future__ import annotations

import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import Dict
from typing import Iterator
from typing import List
from typing import Tuple

import pytest
from helpers import assert_same_and_traced
from helpers import assert_valid_parent
from helpers import candidate_headers
from helpers import outcome
from helpers import patched_fixture
from helpers import plugins_off
from helpers import raw_headers_strategy
from helpers import untraced_then_traced
from helpers import without_propagation
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings

from ddtrace_integrations import _ddtrace as dd

sys.path.insert(0, str(Path(__file__).parent))
from clients import CLIENTS
from clients import new_topic

HUGE = b"h" * 100_000
PATHWAY = "dd-pathway-ctx-base64"
GENERATOR = object()  # a fresh one-shot generator of pairs, made for each send
# name -> (value, key, headers)
CASES: Dict[str, Tuple[Any, Any, Any]] = {
    "value_none": (None, b"k", None),
    "key_none": (b"v", None, None),
    "tombstone": (None, None, None),
    "empty_key_and_value": (b"", b"", None),
    "non_utf8_key": (b"v", b"\xff\xfe\x00", None),
    "non_utf8_value": (b"\xff\xfe\x00", b"k", None),
    "str_key": (b"v", "k\u2603", None),
    "int_value": (5, b"k", None),
    "huge_header": (b"v", b"k", [("big", HUGE)]),
    "many_headers": (b"v", b"k", [(f"h{i}", b"v") for i in range(500)]),
    "headers_tuple": (b"v", b"k", (("t", b"1"),)),
    "headers_dict": (b"v", b"k", {"d": b"1"}),
    "headers_mapping_proxy": (b"v", b"k", MappingProxyType({"d": b"1"})),
    "headers_generator": (b"v", b"k", GENERATOR),
    "headers_empty_list": (b"v", b"k", []),
    "header_none_value": (b"v", b"k", [("n", None)]),
    "header_str_value": (b"v", b"k", [("s", "text")]),
    "header_int_value": (b"v", b"k", [("i", 1)]),
    "header_non_ascii_name": (b"v", b"k", [("\u2603", b"1")]),
    "header_bytes_name": (b"v", b"k", [(b"b", b"1")]),
    "duplicate_header_names": (b"v", b"k", [("d", b"1"), ("d", b"2")]),
    "malformed_propagation": (
        b"v",
        b"k",
        [("traceparent", b"\xff\xfe"), ("x-datadog-trace-id", b"-1"), ("x-datadog-parent-id", b"abc")],
    ),
}
INTEGRATIONS = {"kafka": True, "aiokafka": True, "kafka_python": True}


patched = patched_fixture(scope="module", autouse=True, **INTEGRATIONS)


@pytest.fixture(scope="module", params=sorted(CLIENTS))
def client(request) -> Iterator[Any]:
    made = CLIENTS[request.param](new_topic())
    yield made
    made.close()


@pytest.fixture(autouse=True)
def propagation(client, monkeypatch) -> None:
    monkeypatch.setitem(dd.registered_config(client.integration), "distributed_tracing_enabled", True)


def without_context(headers: List[Any]) -> List[Any]:
    """The headers a consumer received, less the trace context and pathway the integration adds."""
    return [(name, value) for name, value in headers if without_propagation({name: value}) and name != PATHWAY]


def exchange(client: Any, value: Any, key: Any, headers: Any) -> Any:
    """What the application sees: the produce call's outcome, then (if it sent) the message consumed."""
    if headers is GENERATOR:
        headers = ((name, b"1") for name in ("g1", "g2"))
    produced = outcome(lambda: client.produce(value, key, headers))
    if produced[0] == "raised":
        return produced, None
    message = client.consume_one()
    get = (lambda name: getattr(message, name)()) if client.integration == "kafka" else message.__getattribute__
    return produced, (get("key"), get("value"), without_context(client.headers(message)))


def received_spans(spans: Any) -> List[Any]:
    return [s for s in spans.named("kafka.consume") if s.get_tag("kafka.received_message") == "True"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_message_is_produced_and_consumed_as_untraced(client, name, spans, caplog):
    value, key, headers = CASES[name]
    untraced, traced = untraced_then_traced(
        lambda: exchange(client, value, key, headers), spans, caplog, client.integration
    )
    found = spans.named("kafka.produce") + received_spans(spans)
    sent = traced[0][0] == "returned"
    assert_same_and_traced(
        ("returned", untraced),
        ("returned", traced),
        found,
        2 if sent else 1,
        caplog.records,
        client.integration,
        error=not sent,
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=raw_headers_strategy)
def test_any_propagation_headers_are_consumed_and_linked_only_to_wellformed_contexts(client, spans, pairs):
    headers = [(name.decode("latin-1"), value) for name, value in pairs]  # the clients take text names
    with plugins_off(client.integration):  # sent as they are: a traced producer would replace them
        client.produce(b"v", b"k", headers)
    spans.clear()
    message = client.consume_one()
    assert [tuple(h) for h in client.headers(message)] == headers
    [consumer] = received_spans(spans)
    carried = candidate_headers(pairs, lambda v: v.decode("utf-8", "replace"))
    for link in consumer._get_links():
        assert_valid_parent(link.trace_id, link.span_id, carried)
    if consumer.parent_id:
        assert_valid_parent(consumer.trace_id, consumer.parent_id, carried)
