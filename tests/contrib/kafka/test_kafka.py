"""The Kafka plugin pair through each of its three clients, against the real broker (Tansu).

The same tests run for confluent-kafka, aiokafka and kafka-python (adapters in clients.py): kafka-python,
which ddtrace does not trace, gets the same spans and tags as the other two.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ddtrace.trace import tracer
from helpers import assert_span

import ddtrace_integrations
from ddtrace_integrations import _ddtrace as dd

sys.path.insert(0, str(Path(__file__).parent))
from clients import CLIENTS
from clients import SERVERS
from clients import new_topic

TRACE_HEADERS = {"x-datadog-trace-id", "x-datadog-parent-id", "traceparent"}
PATHWAY = "dd-pathway-ctx-base64"
CLUSTER = "kafka_cluster_id:tansu_cluster"


@pytest.fixture(params=sorted(CLIENTS))
def client(request, spans):
    adapter = CLIENTS[request.param]
    ddtrace_integrations.patch(**{adapter.integration: True})
    made = adapter(new_topic())
    spans.clear()
    yield made
    made.close()
    ddtrace_integrations.unpatch(**{adapter.integration: True})


def setting(client, key, value, monkeypatch):
    monkeypatch.setitem(dd.registered_config(client.integration), key, value)


@pytest.fixture
def propagation(client, monkeypatch):
    setting(client, "distributed_tracing_enabled", True, monkeypatch)


def produced(spans, count=1):
    found = spans.named("kafka.produce")
    assert len(found) == count, [s.name for s in spans.spans]
    return found


def test_produce_and_consume_spans_carry_ddtraces_kafka_tags_and_the_designs(client, spans):
    client.produce(b"hello", b"k1")
    client.consume_one()
    [producer], consumer = produced(spans), spans.one("kafka.consume")
    component = "kafka" if client.integration == "kafka" else client.integration
    common = {"component": component, "messaging.system": "kafka", "kafka.topic": client.topic}
    common["messaging.destination.name"] = client.topic
    assert_span(
        producer,
        service="kafka",
        resource="kafka.produce",
        span_type="worker",
        error=0,
        meta={
            **common,
            "span.kind": "producer",
            "kafka.message_key": "k1",
            "kafka.tombstone": "False",
            "messaging.kafka.bootstrap.servers": SERVERS,
            "kafka.cluster_id": "tansu_cluster",
        },
        metrics={"_dd.measured": 1},
    )
    assert_span(
        consumer,
        service="kafka",
        resource="kafka.consume",
        span_type="worker",
        error=0,
        meta={
            **common,
            "span.kind": "consumer",
            "kafka.received_message": "True",
            "kafka.group_id": f"g-{client.topic}",
            "messaging.message.id": f"{client.topic}/0/0",
        },
        metrics={"messaging.kafka.offset": 0, "messaging.kafka.partition": 0, "_dd.measured": 1},
    )


def test_acknowledged_sends_know_their_partition_and_offset(client, spans):
    client.produce(b"one")
    client.produce(b"two")
    second = produced(spans, 2)[1]
    if client.integration == "kafka":  # confluent's produce returns before delivery, as in ddtrace
        assert second.get_metric("kafka.partition") == -1 and second.get_tag("messaging.message.id") is None
    else:
        assert second.get_metric("kafka.message_offset") == 1
        assert second.get_tag("messaging.message.id") == f"{client.topic}/0/1"


def test_no_propagation_headers_unless_enabled_as_in_ddtrace(client, spans):
    client.produce(b"plain")
    assert client.headers(client.consume_one()) == []
    assert spans.one("kafka.consume")._get_links() == []
    assert produced(spans)[0].get_tag("pathway.hash") is None  # Data Streams is off by default


@pytest.mark.parametrize("shape", ["none", "list", "dict"])
def test_trace_context_goes_into_a_copy_of_the_callers_headers(client, spans, propagation, shape):
    if shape == "dict" and client.integration != "kafka":
        pytest.skip("only confluent-kafka takes a dict")
    caller = {"none": None, "list": [("app", b"1"), ("app", b"2")], "dict": {"app": "1"}}[shape]
    before = None if caller is None else type(caller)(caller)
    client.produce(b"with headers", b"k", caller)
    assert caller == before
    received = client.headers(client.consume_one())
    names = [name for name, _ in received]
    assert set(names) >= TRACE_HEADERS
    assert [(n, bytes(v)) for n, v in received if n == "app"] == {"none": [], "list": caller, "dict": [("app", b"1")]}[
        shape
    ]
    [producer] = produced(spans)
    assert dict(received)["x-datadog-parent-id"] in (str(producer.span_id), str(producer.span_id).encode())


def test_consumer_links_to_the_exact_producer_span(client, spans, propagation):
    with tracer.trace("job"):
        client.produce(b"linked")
    client.consume_one()
    [producer], consumer = produced(spans), spans.one("kafka.consume")
    assert consumer.trace_id != producer.trace_id
    assert [(link.trace_id, link.span_id) for link in consumer._get_links()] == [(producer.trace_id, producer.span_id)]


def test_consumer_is_the_producers_child_when_configured(client, spans, propagation, monkeypatch):
    setting(client, "consume_as_child", True, monkeypatch)
    with tracer.trace("job"):
        client.produce(b"parented")
    client.consume_one()
    [producer], consumer = produced(spans), spans.one("kafka.consume")
    assert (consumer.trace_id, consumer.parent_id) == (producer.trace_id, producer.span_id)
    assert consumer._get_links() == []


def test_a_batch_links_every_producer_even_when_children_are_configured(client, spans, propagation, monkeypatch):
    setting(client, "consume_as_child", True, monkeypatch)
    for value in (b"a", b"b", b"c"):
        client.produce(value)
    assert len(client.consume_batch(3)) == 3
    consumer = spans.one("kafka.consume")
    assert {(link.trace_id, link.span_id) for link in consumer._get_links()} == {
        (p.trace_id, p.span_id) for p in produced(spans, 3)
    }


def test_tombstones(client, spans):
    client.produce(None, b"gone")
    assert client.consume_one() is not None
    assert produced(spans)[0].get_tag("kafka.tombstone") == "True"
    assert spans.one("kafka.consume").get_tag("kafka.tombstone") == "True"


def test_commit_works_and_makes_no_span(client, spans):
    client.produce(b"x")
    client.consume_one()
    spans.clear()
    assert client.commit() == 1
    tracer.flush()
    assert spans.spans == []


def test_empty_polls_are_traced_unless_switched_off(client, spans, monkeypatch):
    client.empty_poll()
    consumer = spans.one("kafka.consume")
    expected = "True" if client.integration == "aiokafka" else "False"  # ddtrace: getmany returned a dict
    assert consumer.get_tag("kafka.received_message") == expected
    if client.integration == "aiokafka":
        return  # ddtrace has no such switch for aiokafka
    spans.clear()
    setting(client, "trace_empty_poll_enabled", False, monkeypatch)
    client.empty_poll()
    assert spans.named("kafka.consume") == []


def edges(client):
    out = ("direction:out", f"topic:{client.topic}", "type:kafka", CLUSTER)
    return out, ("direction:in", f"group:g-{client.topic}", f"topic:{client.topic}", "type:kafka", CLUSTER)


def test_data_streams_follow_the_message_from_producer_to_consumer(client, spans, data_streams):
    client.produce(b"dsm", b"k")
    received = client.headers(client.consume_one())
    assert [name for name, _ in received] == [PATHWAY]  # travels even with trace propagation off
    [producer], consumer = produced(spans), spans.one("kafka.consume")
    out, into = edges(client)
    [(sent_hash, _, sent)] = data_streams.pathways(*out)
    [(received_hash, parent, got)] = data_streams.pathways(*into)
    assert (sent_hash, received_hash, parent) == (
        int(producer.get_tag("pathway.hash")),
        int(consumer.get_tag("pathway.hash")),
        sent_hash,
    )
    size = len(b"dsm") + len(b"k") + sum(len(name) + len(value) for name, value in received)
    assert sent.payload_size.to_proto() == got.payload_size.to_proto() == data_streams.sketch_of(size)
    assert data_streams.offsets("produce") == {(client.topic, 0, "tansu_cluster"): 0}
    assert data_streams.offsets("commit") == {}  # the consumer commits only when told to


def test_data_streams_hear_each_message_of_a_batch(client, spans, data_streams):
    for value in (b"a", b"b", b"c"):
        client.produce(value)
    assert len(client.consume_batch(3)) == 3
    out, into = edges(client)
    sent = {hash_value for hash_value, _, _ in data_streams.pathways(*out)}
    assert len(sent) == 1 and [parent for _, parent, _ in data_streams.pathways(*into)] == [*sent]
    [(_, _, stats)] = data_streams.pathways(*into)
    assert stats.payload_size.count == 3
    assert data_streams.offsets("produce") == {(client.topic, 0, "tansu_cluster"): 2}


def test_data_streams_hear_commits_of_a_message_and_auto_commits(client, data_streams):
    for value in (b"a", b"b"):
        client.produce(value)
    client.commit(client.consume_one())
    group = (f"g-{client.topic}", client.topic, 0, "tansu_cluster")
    assert data_streams.offsets("commit") == {group: 1}  # the next offset to read
    auto = type(client)(new_topic(), auto_commit=True)
    try:
        auto.produce(b"c")
        auto.consume_one()
        assert data_streams.offsets("commit")[(f"g-{auto.topic}", auto.topic, 0, "tansu_cluster")] == 1
    finally:
        auto.close()


def test_the_pathway_and_trace_context_go_into_a_copy_of_the_callers_headers(client, propagation, data_streams):
    caller = [("app", b"1")]
    client.produce(b"both", None, caller)
    assert caller == [("app", b"1")]
    names = [name for name, _ in client.headers(client.consume_one())]
    assert names[0] == "app" and set(names[1:]) >= TRACE_HEADERS | {PATHWAY}


def test_the_producer_span_is_not_left_active_after_the_send(client, spans):
    with tracer.trace("job") as job:
        client.produce(b"x")
        assert tracer.current_span() is job
    assert produced(spans)[0].parent_id == job.span_id


def test_aiokafka_getmany_over_two_topics_names_each_topic_and_its_partitions(spans):
    import asyncio

    import aiokafka
    from clients import Aiokafka

    ddtrace_integrations.patch(aiokafka=True)
    first, second = Aiokafka(new_topic()), new_topic()
    try:
        first.produce(b"a")
        first.run(first.producer.send_and_wait(second, b"b"))

        async def both():
            first.consumer.assign([first.tp, aiokafka.TopicPartition(second, 0)])
            records = {}
            while sum(len(r) for r in records.values()) < 2:
                for tp, batch in (await first.consumer.getmany(timeout_ms=10000)).items():
                    records.setdefault(tp.topic, []).extend(batch)
            return records

        spans.clear()
        first.run(asyncio.wait_for(both(), 20))
        consumers = spans.named("kafka.consume")
        both_topics = [s for s in consumers if s.get_tag("kafka.topic") and "," in s.get_tag("kafka.topic")]
        span = both_topics[0] if both_topics else consumers[0]
        topics = span.get_tag("kafka.topic").split(",")
        assert set(topics) <= {first.topic, second} and span.get_tag("messaging.destination.name") == topics[0]
        assert all(span.get_tag(f"kafka.partitions.{t}") == "0" for t in topics)
        assert span.parent_id is None and span.get_tag("kafka.received_message") == "True"
    finally:
        first.close()
        ddtrace_integrations.unpatch(aiokafka=True)


@pytest.fixture
def confluent(spans):
    ddtrace_integrations.patch(kafka=True)
    from clients import Confluent

    made = Confluent(new_topic())
    yield made
    made.close()
    ddtrace_integrations.unpatch(kafka=True)


def test_confluent_delivery_callbacks_in_every_form_still_run_once_under_data_streams(confluent, data_streams):
    calls = []
    topic, producer = confluent.topic, confluent.producer
    producer.produce(topic, b"a", on_delivery=lambda err, m: calls.append(("on_delivery", err, m.offset())))
    producer.produce(topic, b"b", callback=lambda err, m: calls.append(("callback", err, m.offset())))
    producer.produce(topic, b"c", None, -1, lambda err, m: calls.append(("positional", err, m.offset())))
    producer.produce(topic, b"d")  # no callback of the caller's: the acknowledgement is still heard
    producer.flush(10)
    assert calls == [("on_delivery", None, 0), ("callback", None, 1), ("positional", None, 2)]
    assert data_streams.offsets("produce") == {(topic, 0, "tansu_cluster"): 3}


def test_confluent_headers_passed_by_position_get_the_trace_context(confluent, spans, monkeypatch):
    monkeypatch.setitem(dd.registered_config("kafka"), "distributed_tracing_enabled", True)
    caller = [("app", b"1")]
    confluent.producer.produce(confluent.topic, b"v", b"k", 0, None, None, 0, caller)  # headers are 8th
    confluent.producer.flush(10)
    assert caller == [("app", b"1")]
    names = [name for name, _ in confluent.headers(confluent.consume_one())]
    assert names[0] == "app" and set(names[1:]) >= TRACE_HEADERS
