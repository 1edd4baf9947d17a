"""A kafka-python workload against the real broker (ddtrace does not trace kafka-python, so no parity run):
the fault-injection tests (tests/contrib/test_faults.py) run it untraced and with each hook failing.

The topic is deleted and created again first, so every run sees the same offsets.
"""

import contextlib
import os

import kafka
import steps
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

SERVERS = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
TOPIC = steps.own("ddi-kp-orders")


def fresh_topic():
    """With confluent-kafka's admin client, which no integration traces."""
    admin = AdminClient({"bootstrap.servers": SERVERS})
    for future in admin.delete_topics([TOPIC], operation_timeout=10).values():
        with contextlib.suppress(Exception):  # not there yet
            future.result(10)
    for future in admin.create_topics([NewTopic(TOPIC, 1, 1)]).values():
        future.result(10)


fresh_topic()
tp = kafka.TopicPartition(TOPIC, 0)
producer = kafka.KafkaProducer(bootstrap_servers=SERVERS)
consumer = kafka.KafkaConsumer(
    bootstrap_servers=SERVERS,
    group_id=steps.own("ddi-kp-group"),
    enable_auto_commit=False,
    auto_offset_reset="earliest",
)
consumer.assign([tp])


def send(**kwargs):
    def step():
        metadata = producer.send(TOPIC, **kwargs).get(10)
        print("sent", metadata.topic, metadata.offset)

    return step


def list_headers():
    headers = [("app", b"1")]
    producer.send(TOPIC, b"with headers", b"list", headers=headers).get(10)
    print("caller's headers", headers)


def poll(count):
    def step():
        records = []
        while len(records) < count:  # (each call is a span)
            for batch in consumer.poll(timeout_ms=5000, max_records=count - len(records)).values():
                records += batch
        print("polled", [(r.key, r.value, r.offset) for r in records])

    return step


def empty_poll():
    print("empty", consumer.poll(timeout_ms=100))


def commit():
    consumer.commit()
    print("committed", consumer.committed(tp))


def commit_offsets():
    consumer.commit({tp: OffsetAndMetadata(1, "", -1)})
    print("committed", consumer.committed(tp))


def bad_send():
    producer.send(TOPIC, "not bytes")


steps.run(
    [
        ("send", send(value=b"plain", key=b"k1")),
        ("send without key", send(value=b"no key")),
        ("list headers", list_headers),
        ("tombstone", send(value=None, key=b"gone")),
        ("poll one", poll(1)),
        ("poll rest", poll(3)),
        ("empty poll", empty_poll),
        ("commit", commit),
        ("commit offsets", commit_offsets),
        ("bad send", bad_send),
    ]
)
consumer.close()
producer.close()
