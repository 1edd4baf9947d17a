"""The confluent-kafka workload against the real broker, run under ddtrace and under v2.

Topics are deleted and created again first, so both runs see the same offsets.
"""

import contextlib
import os

import steps
from confluent_kafka import Consumer
from confluent_kafka import DeserializingConsumer
from confluent_kafka import Producer
from confluent_kafka import SerializingProducer
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin import NewTopic
from confluent_kafka.serialization import StringDeserializer
from confluent_kafka.serialization import StringSerializer

SERVERS = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
TOPIC, SERIALIZED = steps.own("ddi-orders"), steps.own("ddi-serialized")
PROPAGATION = os.environ.get("DD_KAFKA_PROPAGATION_ENABLED") == "true"


def fresh_topics():
    admin = AdminClient({"bootstrap.servers": SERVERS})
    for future in admin.delete_topics([TOPIC, SERIALIZED], operation_timeout=10).values():
        with contextlib.suppress(Exception):  # not there yet
            future.result(10)
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in (TOPIC, SERIALIZED)]).values():
        future.result(10)


fresh_topics()
producer = Producer({"bootstrap.servers": SERVERS})
serializing = SerializingProducer(
    {"bootstrap.servers": SERVERS, "key.serializer": StringSerializer(), "value.serializer": StringSerializer()}
)
consumer = Consumer(
    {
        "bootstrap.servers": SERVERS,
        "group.id": steps.own("ddi-group"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
)
consumer.assign([TopicPartition(TOPIC, 0, 0)])
deserializing = DeserializingConsumer(
    {
        "bootstrap.servers": SERVERS,
        "group.id": steps.own("ddi-serialized-group"),
        "auto.offset.reset": "earliest",
        "key.deserializer": StringDeserializer(),
        "value.deserializer": StringDeserializer(),
    }
)
deserializing.assign([TopicPartition(SERIALIZED, 0, 0)])


def produce(**kwargs):
    def step():
        producer.produce(TOPIC, **kwargs)
        producer.flush(10)

    return step


def dict_headers():
    headers = {"app": "1"}
    producer.produce(TOPIC, value=b"with dict headers", key=b"dict", headers=headers)
    producer.flush(10)


def list_headers():
    headers = [("app", b"1"), ("app", b"2")]
    producer.produce(TOPIC, b"with list headers", b"list", headers=headers)
    producer.flush(10)
    print("caller's list", headers)


def serialized():
    serializing.produce(SERIALIZED, key="text-key", value="text value")
    serializing.flush(10)


def poll_one():
    message = consumer.poll(10)
    print("polled", message.value(), message.offset())


def consume_batch():
    messages = []
    remaining = 4 if PROPAGATION else 5  # all but the first
    while len(messages) < remaining:
        messages += consumer.consume(num_messages=remaining - len(messages), timeout=10)
    print("batch", [m.key() for m in messages])
    consumer.commit(message=messages[1], asynchronous=False)  # a commit that names its message


def commit():
    consumer.commit(asynchronous=False)
    print("committed", consumer.committed([TopicPartition(TOPIC, 0)], timeout=10)[0].offset)


def empty_poll():
    print("empty", consumer.poll(0.2))


def deserialized_poll():
    message = deserializing.poll(10)
    print("deserialized", message.key(), message.value())


def bad_call():
    producer.produce(TOPIC, b"x", partition="zero")


steps.run(
    [
        ("produce", produce(value=b"plain", key=b"k1")),
        ("produce without key", produce(value=b"no key")),
        ("produce to partition", produce(value=b"partition 0", key="k2", partition=0)),
        ("dict headers", dict_headers),
        *([] if PROPAGATION else [("list headers", list_headers)]),  # ddtrace raises on these when propagating
        ("tombstone", produce(value=None, key=b"gone")),
        ("serialized", serialized),
        ("poll one", poll_one),
        ("consume batch", consume_batch),
        ("commit", commit),
        ("empty poll", empty_poll),
        ("deserialized poll", deserialized_poll),
        ("bad call", bad_call),
    ]
)
consumer.close()
deserializing.close()
