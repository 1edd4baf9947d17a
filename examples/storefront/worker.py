"""The order worker: reads the order events the storefront publishes to Kafka and stores them in PostgreSQL.

Under `ddtrace-integrations run`, each received event's `kafka.consume` span starts a trace of its own, linked
to the storefront's `kafka.produce` span (consuming is not part of the customer's request). The worker's own
span for storing the event is linked to the same producer, through the trace context the message carries.
"""

import json
import signal

import psycopg
import settings
from confluent_kafka import Consumer
from confluent_kafka import TopicPartition
from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import tracer

running = True


def stop(signum, frame):
    global running
    running = False


def producer_context(message):
    headers = {key: value.decode("latin-1") for key, value in message.headers() or () if value is not None}
    return HTTPPropagator.extract(headers)


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer = Consumer({"bootstrap.servers": settings.KAFKA, "group.id": "order-worker", "enable.auto.commit": False})
    consumer.assign([TopicPartition(settings.ORDERS_TOPIC, 0, 0)])
    pg = psycopg.connect(settings.PG_DSN, autocommit=True)
    while running:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        event = json.loads(message.value())
        with tracer.trace("order.store", resource="store order event", span_type="worker") as span:
            producer = producer_context(message)
            if producer.trace_id and producer.span_id:  # absent when the storefront does not propagate
                span.link_span(producer)
            span.set_tag("order.id", event["order_id"])
            pg.execute(
                "INSERT INTO shop_order_events (order_id, sku, quantity, total_cents) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (order_id) DO NOTHING",
                (event["order_id"], event["sku"], event["quantity"], event["total_cents"]),
            )
    pg.close()
    consumer.close()


if __name__ == "__main__":
    main()
