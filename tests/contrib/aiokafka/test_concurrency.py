"""aiokafka under load against the real broker: 10,000 asyncio tasks each send one message under its own root
span, all at once on one producer (which batches them). Each produce span is its task's root's child, carries
its own message's key and the offset the broker gave that message, and the send leaves the task's root
current."""

from __future__ import annotations

import sys
from pathlib import Path

import aiokafka
from ddtrace.trace import tracer
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import in_tasks
from helpers import marker
from helpers import patched_fixture
from helpers import task_root

sys.path.insert(0, str(Path(__file__).parent.parent / "kafka"))  # the Kafka tests' client adapters
from clients import SERVERS
from clients import new_topic

TASKS = 10_000


patched = patched_fixture(aiokafka=True)


async def test_10000_tasks_each_trace_their_own_send(patched, spans):
    topic = new_topic()
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=SERVERS, linger_ms=5)
    await producer.start()
    offsets = {}

    async def task(i: int) -> None:
        with task_root(i) as root:
            delivery = await producer.send(topic, b"v", key=marker(i).encode())
            assert tracer.current_span() is root, "the send left another span current"
            offsets[marker(i)] = (await delivery).offset

    try:
        await in_tasks(TASKS, task)
    finally:
        await producer.stop()
    assert sorted(offsets.values()) == list(range(TASKS))  # one partition: every message acknowledged once

    def expected(own: str) -> list:
        meta = {"component": "aiokafka", "kafka.message_key": own, "messaging.message.id": f"{topic}/0/{offsets[own]}"}
        return [("kafka.produce", "kafka.produce", TASK_ROOT, meta)]

    traces = assert_task_traces(
        spans.spans, TASKS, expected, ["component", "kafka.message_key", "messaging.message.id"]
    )
    for own, trace in traces.items():
        [produce] = [s for s in trace if s.name == "kafka.produce"]
        assert produce.get_metric("kafka.message_offset") == offsets[own]
