"""The storefront: a Flask app. The catalog is in PostgreSQL (psycopg), stock and orders in MariaDB (PyMySQL),
prices come from the pricing service (httpx), and each order is published to Kafka (confluent-kafka) for the
worker. Nothing here knows about tracing: `ddtrace-integrations run gunicorn storefront:app` traces every call
below, and the trace goes on into the pricing service."""

import json

import httpx
import psycopg
import pymysql
import settings
from confluent_kafka import Producer
from flask import Flask
from flask import abort
from flask import jsonify
from flask import request

app = Flask("storefront")
pricing = httpx.Client(base_url=settings.PRICING_URL, timeout=5)
producer = Producer({"bootstrap.servers": settings.KAFKA})


def mariadb() -> pymysql.connections.Connection:
    return pymysql.connect(**settings.MYSQL)


@app.get("/products")
def products():
    with psycopg.connect(settings.PG_DSN) as pg:
        catalog = pg.execute("SELECT sku, title FROM shop_products ORDER BY sku").fetchall()
    skus = [sku for sku, _ in catalog]
    conn = mariadb()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT sku, quantity FROM shop_stock WHERE sku IN %s", (skus,))
            stock = dict(cur.fetchall())
    finally:
        conn.close()
    prices = pricing.get("/prices", params={"skus": ",".join(skus)}).raise_for_status().json()
    return jsonify(
        [
            {"sku": sku, "title": title, "price_cents": prices.get(sku), "in_stock": stock.get(sku, 0)}
            for sku, title in catalog
        ]
    )


@app.post("/orders")
def place_order():
    body = request.get_json()
    sku, quantity = body["sku"], int(body["quantity"])
    with psycopg.connect(settings.PG_DSN) as pg:
        if pg.execute("SELECT 1 FROM shop_products WHERE sku = %s", (sku,)).fetchone() is None:
            abort(404)
    quote = pricing.post("/quote", json={"sku": sku, "quantity": quantity}).raise_for_status().json()
    conn = mariadb()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE shop_stock SET quantity = quantity - %s WHERE sku = %s AND quantity >= %s",
                (quantity, sku, quantity),
            )
            if cur.rowcount != 1:
                conn.rollback()
                abort(409, "out of stock")
            cur.execute(
                "INSERT INTO shop_orders (sku, quantity, total_cents) VALUES (%s, %s, %s)",
                (sku, quantity, quote["total_cents"]),
            )
            order_id = cur.lastrowid
        conn.commit()
    finally:
        conn.close()
    event = {"order_id": order_id, "sku": sku, "quantity": quantity, "total_cents": quote["total_cents"]}
    producer.produce(settings.ORDERS_TOPIC, json.dumps(event).encode(), key=str(order_id).encode())
    producer.flush(5)
    return jsonify(event), 201
