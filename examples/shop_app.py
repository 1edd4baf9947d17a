"""A small shop service: orders on asyncpg, stock on psycopg, customers on MariaDB (PyMySQL), prices from
an HTTP service (httpx). Nothing here knows about tracing: run it under ``ddtrace-integrations run``
(``scripts/demo`` does) and every call below is traced by v2."""

import asyncio
import json
import os
import threading
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer

import asyncpg
import httpx
import psycopg
import pymysql

DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL = {"host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1"), "port": int(os.environ.get("DDI_MYSQL_PORT", "3306"))}


class Prices(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"apple": 0.5, "traced": "x-datadog-trace-id" in self.headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


async def orders() -> None:
    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute("CREATE TEMP TABLE orders (id serial PRIMARY KEY, item text, qty int)")
        await conn.executemany("INSERT INTO orders (item, qty) VALUES ($1, $2)", [("apple", 3), ("pear", 1)])
        total = await conn.fetchval("SELECT sum(qty) FROM orders WHERE item = $1", "apple")
        print(f"apples ordered: {total}")
        try:
            await conn.execute("SELECT * FROM no_such_table")
        except asyncpg.exceptions.UndefinedTableError as e:
            print(f"expected failure: {e}")
    finally:
        await conn.close()


def stock() -> None:
    with psycopg.connect(DSN) as conn:
        print("apples in stock:", conn.execute("SELECT %s::int", (42,)).fetchone()[0])


def customers() -> None:
    conn = pymysql.connect(user="root", database="test", **MYSQL)
    try:
        cur = conn.cursor()
        cur.execute("SELECT %s AS customer", ("ada",))
        print("customer:", cur.fetchone()[0])
    finally:
        conn.close()


def prices() -> None:
    server = HTTPServer(("127.0.0.1", 0), Prices)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    quote = httpx.get(f"http://127.0.0.1:{server.server_address[1]}/prices?item=apple").json()
    print(f"apple price: {quote['apple']} (trace headers received by the price service: {quote['traced']})")
    server.shutdown()


if __name__ == "__main__":
    asyncio.run(orders())
    stock()
    customers()
    prices()
