"""The asyncpg workload run under ddtrace's own integration and under v2 (see test_parity.py).

Each step runs inside its own root span so that the two runs' traces line up step by step.
"""

import asyncio
import os

import asyncpg
import steps

DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


async def main():
    conn = await asyncpg.connect(DSN)

    async def simple():
        await conn.execute("SELECT 1")

    async def prepared():
        await conn.fetch("SELECT $1::int AS n", 7)

    async def fetchval():
        await conn.fetchval("SELECT 2")

    async def many():
        await conn.execute("CREATE TEMP TABLE IF NOT EXISTS wl (n int)")
        await conn.executemany("INSERT INTO wl VALUES ($1)", [(1,), (2,), (3,)])

    async def cursor():
        async with conn.transaction():
            async for _ in conn.cursor("SELECT generate_series(1, 5)", prefetch=2):
                pass

    async def syntax_error():
        await conn.execute("SELEC broken")

    async def failed_connect():
        await asyncpg.connect("postgresql://postgres@127.0.0.1:1/test", timeout=2)

    await steps.run_async(
        [
            ("simple", simple),
            ("prepared", prepared),
            ("fetchval", fetchval),
            ("many", many),
            ("cursor", cursor),
            ("syntax_error", syntax_error),
            ("failed_connect", failed_connect),
        ]
    )
    await conn.close()


asyncio.run(main())
