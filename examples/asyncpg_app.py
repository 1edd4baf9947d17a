"""A small order service on asyncpg. Nothing here knows about tracing: run it under
``ddtrace-integrations run`` (``scripts/demo`` does) and its queries are traced by v2."""

import asyncio
import os

import asyncpg

DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


async def main() -> None:
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


if __name__ == "__main__":
    asyncio.run(main())
