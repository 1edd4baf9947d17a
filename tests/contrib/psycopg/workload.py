"""The psycopg (3, sync and async) and psycopg2 workload, run under ddtrace and under v2 (test_parity.py)."""

import asyncio
import os

import psycopg
import psycopg2
import psycopg2.extras
import steps
from psycopg import sql
from psycopg2 import sql as sql2

DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
LOST = "SELECT pg_terminate_backend(pg_backend_pid())"


def psycopg3():
    conn = psycopg.connect(DSN, application_name="wl")

    def simple():
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchall()

    def params_and_fetch():
        cur = conn.cursor()
        cur.execute("SELECT generate_series(1, %s)", (5,))
        cur.fetchone()
        cur.fetchmany(2)
        cur.fetchmany()
        cur.fetchall()

    def composed():
        query = sql.SQL("SELECT {} FROM {}").format(sql.Identifier("n"), sql.Identifier("wl3"))
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS wl3 (n int)")
        conn.cursor().execute(query)

    def many():
        conn.cursor().executemany("INSERT INTO wl3 VALUES (%s)", [(1,), (2,), (3,)])

    def rowcount():
        conn.cursor().execute("UPDATE wl3 SET n = n + 1")

    def bytes_query():
        conn.cursor().execute(b"SELECT 'bytes'")

    def prepared():
        conn.cursor().execute("SELECT %s::int", (4,), prepare=True)

    def server_cursor():
        with conn.transaction(), conn.cursor(name="wl_named") as cur:
            cur.execute("SELECT generate_series(1, 3)")
            cur.fetchall()

    def commit_rollback():
        conn.commit()
        conn.rollback()

    def syntax_error():
        conn.cursor().execute("SELEC broken")

    def lost_connection():
        conn.rollback()
        lost = psycopg.connect(DSN)
        try:
            lost.cursor().execute(LOST)
        finally:
            lost.close()

    steps.run(
        [
            ("pg3 simple", simple),
            ("pg3 params_and_fetch", params_and_fetch),
            ("pg3 composed", composed),
            ("pg3 many", many),
            ("pg3 rowcount", rowcount),
            ("pg3 bytes", bytes_query),
            ("pg3 prepared", prepared),
            ("pg3 server_cursor", server_cursor),
            ("pg3 commit_rollback", commit_rollback),
            ("pg3 syntax_error", syntax_error),
            ("pg3 lost_connection", lost_connection),
        ]
    )
    conn.close()


async def psycopg3_async():
    conn = await psycopg.AsyncConnection.connect(DSN)

    async def execute():
        await conn.execute("SELECT 1")

    async def cursor():
        async with conn.cursor() as cur:
            await cur.execute("SELECT generate_series(1, 3)")
            await cur.fetchone()
            await cur.fetchall()

    async def many():
        await conn.cursor().executemany("SELECT %s", [(1,), (2,)])

    async def commit():
        await conn.commit()

    async def syntax_error():
        await conn.execute("SELEC broken")

    await steps.run_async(
        [
            ("async execute", execute),
            ("async cursor", cursor),
            ("async many", many),
            ("async commit", commit),
            ("async syntax_error", syntax_error),
        ]
    )
    await conn.close()


def psycopg2_():
    conn = psycopg2.connect(DSN)

    def simple():
        cur = conn.cursor()
        cur.execute("SELECT 1")
        cur.fetchall()

    def fetch():
        with conn.cursor() as cur:
            cur.execute("SELECT generate_series(1, 5)")
            cur.fetchone()
            cur.fetchmany(2)
            cur.fetchall()

    def composed():
        conn.cursor().execute(sql2.SQL("SELECT {}").format(sql2.Literal(3)))

    def many():
        cur = conn.cursor()
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS wl2 (n int)")
        cur.executemany("INSERT INTO wl2 VALUES (%s)", [(1,), (2,)])

    def callproc():
        cur = conn.cursor()
        cur.execute("CREATE OR REPLACE FUNCTION wl_add(a int, b int) RETURNS int AS 'SELECT a + b' LANGUAGE SQL")
        cur.callproc("wl_add", (1, 2))

    def dict_cursor():
        cur = conn.cursor(cursor_factory=psycopg2.extras.DictCursor)
        cur.execute("SELECT 7 AS n")
        print("dict", cur.fetchone()["n"])

    def register_types():
        psycopg2.extras.register_json(conn)
        psycopg2.extensions.register_type(psycopg2.extensions.UNICODE, conn.cursor())
        psycopg2.extras.register_default_jsonb(conn)
        cur = conn.cursor()
        cur.execute("SELECT %s::jsonb", (psycopg2.extras.Json({"a": 1}),))
        print("json", cur.fetchone()[0])

    def commit_rollback():
        conn.commit()
        conn.rollback()

    def syntax_error():
        conn.cursor().execute("SELEC broken")

    def lost_connection():
        lost = psycopg2.connect(DSN)
        lost.cursor().execute(LOST)

    steps.run(
        [
            ("pg2 simple", simple),
            ("pg2 fetch", fetch),
            ("pg2 composed", composed),
            ("pg2 many", many),
            ("pg2 callproc", callproc),
            ("pg2 dict_cursor", dict_cursor),
            ("pg2 register_types", register_types),
            ("pg2 commit_rollback", commit_rollback),
            ("pg2 syntax_error", syntax_error),
            ("pg2 lost_connection", lost_connection),
        ]
    )
    conn.close()


psycopg3()
asyncio.run(psycopg3_async())
psycopg2_()
