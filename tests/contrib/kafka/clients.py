"""One small adapter per Kafka client, so that the same tests run against all three (see test_kafka.py)."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any
from typing import List
from typing import Optional

SERVERS = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def new_topic() -> str:
    """A fresh one-partition topic (made with confluent-kafka's admin client, which is never traced)."""
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.admin import NewTopic

    name = f"ddi-test-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": SERVERS})  # kept alive until the topic exists
    for future in admin.create_topics([NewTopic(name, 1, 1)]).values():
        future.result(10)
    return name


class Confluent:
    integration = "kafka"

    def __init__(self, topic: str, auto_commit: bool = False) -> None:
        import confluent_kafka

        self.topic = topic
        self.producer = confluent_kafka.Producer({"bootstrap.servers": SERVERS})
        self.consumer = confluent_kafka.Consumer(
            {"bootstrap.servers": SERVERS, "group.id": f"g-{topic}", "enable.auto.commit": auto_commit}
        )
        self.consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])

    def produce(self, value: Optional[bytes], key: Optional[bytes] = None, headers: Any = None) -> None:
        self.producer.produce(self.topic, value, key, headers=headers)
        self.producer.flush(10)

    def consume_one(self) -> Any:
        return self.consumer.poll(10)

    def consume_batch(self, count: int) -> List[Any]:
        return self.consumer.consume(count, timeout=10)

    def empty_poll(self) -> None:
        assert self.consumer.poll(0.1) is None

    def commit(self, message: Any = None) -> int:
        """Commits ``message`` (the next offset after it), or with no argument the consumer's position."""
        if message is None:
            self.consumer.commit(asynchronous=False)
        else:
            self.consumer.commit(message=message, asynchronous=False)
        return self.consumer.committed([self._partition()], timeout=10)[0].offset

    def _partition(self) -> Any:
        import confluent_kafka

        return confluent_kafka.TopicPartition(self.topic, 0)

    @staticmethod
    def headers(message: Any) -> List[Any]:
        return list(message.headers() or [])

    def close(self) -> None:
        self.consumer.close()


class Aiokafka:
    integration = "aiokafka"

    def __init__(self, topic: str, auto_commit: bool = False) -> None:
        import aiokafka

        self.topic, self.loop = topic, asyncio.new_event_loop()
        self.tp = aiokafka.TopicPartition(topic, 0)

        async def start() -> Any:
            producer = aiokafka.AIOKafkaProducer(bootstrap_servers=SERVERS)
            consumer = aiokafka.AIOKafkaConsumer(
                bootstrap_servers=SERVERS,
                group_id=f"g-{topic}",
                enable_auto_commit=auto_commit,
                auto_offset_reset="earliest",
            )
            await producer.start()
            await consumer.start()
            consumer.assign([self.tp])
            return producer, consumer

        self.producer, self.consumer = self.run(start())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def produce(self, value: Optional[bytes], key: Optional[bytes] = None, headers: Any = None) -> None:
        self.run(self.producer.send_and_wait(self.topic, value, key, headers=headers))

    def consume_one(self) -> Any:
        return self.run(asyncio.wait_for(self.consumer.getone(), 10))

    def consume_batch(self, count: int) -> List[Any]:
        batches = self.run(self.consumer.getmany(timeout_ms=10000, max_records=count))
        return [record for records in batches.values() for record in records]

    def empty_poll(self) -> None:
        assert self.run(self.consumer.getmany(timeout_ms=100)) == {}

    def commit(self, message: Any = None) -> int:
        self.run(self.consumer.commit(None if message is None else {self.tp: message.offset + 1}))
        return self.run(self.consumer.committed(self.tp))

    @staticmethod
    def headers(message: Any) -> List[Any]:
        return list(message.headers or [])

    def close(self) -> None:
        self.run(self.consumer.stop())
        self.run(self.producer.stop())
        self.loop.close()


class KafkaPython:
    integration = "kafka_python"

    def __init__(self, topic: str, auto_commit: bool = False) -> None:
        import kafka

        self.topic, self.tp = topic, kafka.TopicPartition(topic, 0)
        self.producer = kafka.KafkaProducer(bootstrap_servers=SERVERS)
        self.consumer = kafka.KafkaConsumer(
            bootstrap_servers=SERVERS,
            group_id=f"g-{topic}",
            enable_auto_commit=auto_commit,
            auto_offset_reset="earliest",
        )
        self.consumer.assign([self.tp])

    def produce(self, value: Optional[bytes], key: Optional[bytes] = None, headers: Any = None) -> None:
        self.producer.send(self.topic, value, key, headers=headers).get(10)

    def consume_one(self) -> Any:
        return self.consume_batch(1)[0]

    def consume_batch(self, count: int) -> List[Any]:
        batches = self.consumer.poll(timeout_ms=10000, max_records=count)
        return [record for records in batches.values() for record in records]

    def empty_poll(self) -> None:
        assert self.consumer.poll(timeout_ms=100) == {}

    def commit(self, message: Any = None) -> int:
        from kafka.structs import OffsetAndMetadata

        self.consumer.commit(None if message is None else {self.tp: OffsetAndMetadata(message.offset + 1, "", -1)})
        return self.consumer.committed(self.tp)

    @staticmethod
    def headers(message: Any) -> List[Any]:
        return list(message.headers or [])

    def close(self) -> None:
        self.consumer.close()
        self.producer.close()


CLIENTS = {"confluent-kafka": Confluent, "aiokafka": Aiokafka, "kafka-python": KafkaPython}
