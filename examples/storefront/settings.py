"""Where the demo's services are: the same variables scripts/test exports, with the local defaults."""

import os

PG_DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL = {
    "host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("DDI_MYSQL_PORT", "3306")),
    "user": "root",
    "database": "test",
}
KAFKA = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
# each demo run publishes to a topic of its own, so its worker reads only this run's events
ORDERS_TOPIC = os.environ.get("DEMO_ORDERS_TOPIC", "shop.orders")
PRICING_URL = os.environ.get("DEMO_PRICING_URL", "http://127.0.0.1:8001")
