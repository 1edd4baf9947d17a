"""The confluent-kafka workload under ``ddtrace-run`` and under ``ddtrace-integrations run``, span by span."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_parity

WORKLOAD = str(Path(__file__).with_name("workload.py"))

VARIANTS = {
    "default": {},
    "v1": {"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v1"},
    "service_no_empty_polls": {"DD_KAFKA_SERVICE": "orders-bus", "DD_KAFKA_EMPTY_POLL_ENABLED": "false"},
    # ddtrace links consumers to producers only when told to; v2 always does
    "propagation": {"DD_KAFKA_PROPAGATION_ENABLED": "true", "DD_TRACE_PROPAGATION_AS_SPAN_LINKS": "kafka"},
    # ddtrace's default, v2's setting: the consumer is the first message's producer's child
    "propagation_as_child": {"DD_KAFKA_PROPAGATION_ENABLED": "true", "DD_KAFKA_CONSUME_AS_CHILD": "true"},
    # checkpoints, the pathway header and offsets through ddtrace's own DSM processor
    "data_streams": {"DD_DATA_STREAMS_ENABLED": "true"},
}

# Reviewed differences, each documented in docs/differences.md. Key: (variant or "*", step or "*", field).
ALLOWED = {
    # the design's ConsumerPlugin/ProducerPlugin tags, added to ddtrace's
    ("*", "*", "meta.messaging.message.id"),
    ("*", "*", "metrics.messaging.kafka.offset"),
    ("*", "*", "metrics.messaging.kafka.partition"),
    # ddtrace reads the key only when passed by keyword (a step that runs only without propagation)
    *(
        (v, "list headers", "meta.kafka.message_key")
        for v in ("default", "v1", "service_no_empty_polls", "data_streams")
    ),
    # ddtrace reports offset 0 as -1 (``offset() or -1``); under the step where the consumer's trace sits
    *(
        (v, step, "metrics.kafka.message_offset")
        for v in VARIANTS
        for step in ("poll one", "deserialized poll")
        if v != "propagation_as_child"
    ),
    *(("propagation_as_child", step, "metrics.kafka.message_offset") for step in ("produce", "serialized")),
    # ddtrace cannot put its pathway header into a list of headers, so that message's consumer starts a new
    # pathway (parent 0); v2 carries it in the list's copy and the consumer continues the pathway
    ("data_streams", "data streams", "pathway"),
    # ddtrace makes a batch's span the child of its first message's producer; v2 links every producer
    ("propagation_as_child", "produce without key", "<span>"),
    ("propagation_as_child", "consume batch", "<span>"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_v2_matches_ddtrace(variant):
    assert_parity(WORKLOAD, variant, VARIANTS[variant], ALLOWED, min_spans=10)
