"""Creates the demo's tables (PostgreSQL: the catalog and the stored order events; MariaDB: stock and
orders) and its Kafka topic. Run without tracing, before the services start."""

import sys
import time

import psycopg
import pymysql
import settings
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin import NewTopic

PRODUCTS = [("tea", "Green tea, 100 g"), ("mug", "Stoneware mug"), ("kettle", "Gooseneck kettle")]
STOCK = {"tea": 40, "mug": 12, "kettle": 3}


def postgres() -> None:
    with psycopg.connect(settings.PG_DSN, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS shop_products (sku text PRIMARY KEY, title text NOT NULL)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS shop_order_events (order_id bigint PRIMARY KEY, sku text NOT NULL, "
            "quantity int NOT NULL, total_cents int NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())"
        )
        for sku, title in PRODUCTS:
            conn.execute(
                "INSERT INTO shop_products (sku, title) VALUES (%s, %s) ON CONFLICT (sku) DO UPDATE SET title = %s",
                (sku, title, title),
            )


def mariadb() -> None:
    conn = pymysql.connect(autocommit=True, **settings.MYSQL)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS shop_stock (sku VARCHAR(32) PRIMARY KEY, quantity INT NOT NULL)")
            cur.execute(
                "CREATE TABLE IF NOT EXISTS shop_orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                "sku VARCHAR(32) NOT NULL, quantity INT NOT NULL, total_cents INT NOT NULL)"
            )
            for sku, quantity in STOCK.items():
                cur.execute(
                    "INSERT INTO shop_stock (sku, quantity) VALUES (%s, %s) ON DUPLICATE KEY UPDATE quantity = %s",
                    (sku, quantity, quantity),
                )
    finally:
        conn.close()


def kafka() -> None:
    admin = AdminClient({"bootstrap.servers": settings.KAFKA})
    for future in admin.create_topics([NewTopic(settings.ORDERS_TOPIC, 1, 1)]).values():
        future.result(15)


def with_retries(step, deadline_s: float = 60.0) -> None:
    """A service just started may refuse work for a while (logins, a broker without its cluster id yet)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return step()
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise SystemExit(f"setup: {step.__name__} not ready after {deadline_s:.0f} s: {exc}") from exc
            time.sleep(0.5)


if __name__ == "__main__":
    for step in (postgres, mariadb, kafka):
        with_retries(step)
    print(f"tables ready, topic {settings.ORDERS_TOPIC}", file=sys.stderr)
