"""Cost of tracing Kafka clients against the local broker (Tansu), in one process.

Run: ``python benchmarks/bench_kafka.py`` (about a minute) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call, each on a client made once per configuration's state:
  produce    confluent-kafka ``producer.produce(topic, b"value", b"key")`` (``poll(0)`` every 1024 calls; the
             producers are flushed before every round, untimed)
  poll       confluent-kafka ``consumer.poll(10)`` returning one message (the consumer is assigned partition 0
             of a topic that is kept filled, untimed, between rounds)
  aiokafka   aiokafka ``await producer.send_and_wait(topic, b"value", key=b"key")``: the broker's answer included
each as untraced, bare span, ddtrace (its own integration), v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
import uuid
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

import aiokafka
import confluent_kafka
from _harness import Call
from _harness import Case
from _harness import main
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin import NewTopic

SERVERS = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
CONF = {"bootstrap.servers": SERVERS, "queue.buffering.max.messages": 1_000_000, "linger.ms": 20}
POLLS = 5000  # at most per round: the topic holds enough for three rounds whenever a round starts


class Topics:
    """The run's topics (fresh names) and the producers to drain before each round."""

    def __init__(self) -> None:
        self.admin = AdminClient({"bootstrap.servers": SERVERS})
        run = uuid.uuid4().hex[:8]
        self.produce, self.poll, self.send = (f"ddi-bench-{run}-{what}" for what in ("produce", "poll", "send"))
        topics = [NewTopic(name, 1, 1) for name in (self.produce, self.poll, self.send)]
        for future in self.admin.create_topics(topics).values():
            future.result(10)
        self.producers: List[Any] = []
        self.supplier = confluent_kafka.Producer(CONF)  # made before anything is patched: untraced
        self.supplied = 0
        self.consumed: Dict[str, int] = {}

    def drain(self, mode: str) -> None:
        for producer in self.producers:
            producer.flush(30)

    def fill(self, mode: str) -> None:
        """Enough messages ahead of ``mode``'s consumer for three rounds of polls and the checks in between."""
        wanted = 3 * POLLS + 500
        if self.supplied - self.consumed.get(mode, 0) < wanted:
            for i in range(2 * wanted):
                self.supplier.produce(self.poll, b"value", b"key")
                if not i & 1023:
                    self.supplier.poll(0)
            self.supplier.flush(30)
            self.supplied += 2 * wanted


def cases(topics: Topics) -> List[Case]:
    def produce(mode: str) -> Call:
        producer = confluent_kafka.Producer(CONF)
        topics.producers.append(producer)
        calls = 0

        def call() -> Any:
            nonlocal calls
            calls += 1
            if not calls & 1023:
                producer.poll(0)
            return producer.produce(topics.produce, b"value", b"key")

        call.close = producer.flush  # type: ignore[attr-defined]
        return call

    def poll(mode: str) -> Call:
        conf = {"bootstrap.servers": SERVERS, "group.id": f"ddi-bench-{mode}", "enable.auto.commit": False}
        consumer = confluent_kafka.Consumer(conf)
        consumer.assign([confluent_kafka.TopicPartition(topics.poll, 0, confluent_kafka.OFFSET_BEGINNING)])
        topics.consumed[mode] = 0

        def call() -> Any:
            message = consumer.poll(10)
            if message is None or message.error() is not None:
                raise RuntimeError(f"poll returned no message: {message and message.error()}")
            topics.consumed[mode] += 1
            return message

        call.close = consumer.close  # type: ignore[attr-defined]
        return call

    async def send_and_wait(mode: str) -> Callable[[], Any]:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=SERVERS)
        await producer.start()

        async def call() -> Any:
            return await producer.send_and_wait(topics.send, b"value", key=b"key")

        async def acknowledged() -> Any:  # the send inside ``send_and_wait``, for the matched bare span
            return await producer.send(topics.send, b"value", key=b"key")

        call.close = producer.stop  # type: ignore[attr-defined]
        call.acknowledged = acknowledged  # type: ignore[attr-defined]
        return call

    return [
        Case("confluent-kafka produce", "produce", "kafka", produce, activate=topics.drain),
        Case("confluent-kafka poll", "poll", "kafka", poll, activate=topics.fill, max_calls=POLLS),
        Case("aiokafka send_and_wait", "aiokafka", "aiokafka", send_and_wait),
    ]


def run(argv: Optional[List[str]] = None) -> None:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("confluent-kafka", "aiokafka"))
    topics = Topics()
    main(__doc__, lambda: cases(topics), ("confluent_kafka", "aiokafka"), versions=f"{versions}; {SERVERS}", argv=argv)


if __name__ == "__main__":
    run()
