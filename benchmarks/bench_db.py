"""Cost of tracing one database call against the real local servers, in one process.

Run: ``python benchmarks/bench_db.py`` (about 2 minutes) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call, each on a connection (autocommit) opened once per configuration's state:
  pg2       psycopg2 ``cursor.execute("SELECT 1")``                  PostgreSQL (``DDI_PG_DSN``)
  pg3       psycopg 3 ``cursor.execute("SELECT 1")``
  pg3async  psycopg 3 ``await cursor.execute("SELECT 1")`` (AsyncConnection)
  asyncpg   asyncpg ``await connection.fetchval("SELECT 1")``
  mysql     mysql-connector ``cursor.execute("SELECT 1")`` (buffered)   MariaDB (``DDI_MYSQL_HOST``/``_PORT``)
  pymysql   PyMySQL ``cursor.execute("SELECT 1")``
each as untraced, bare span, ddtrace (its own integration), v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

import asyncpg
import mysql.connector
import psycopg
import psycopg2
import pymysql
from _harness import Call
from _harness import Case
from _harness import main

QUERY = "SELECT 1"
PG_DSN = os.environ.get("DDI_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL: Dict[str, Any] = {
    "host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("DDI_MYSQL_PORT", "3306")),
    "user": "root",
    "password": "",
    "database": "test",
    "autocommit": True,
}


def executing(conn: Any, **options: Any) -> Call:
    cursor = conn.cursor(**options)

    def call() -> Any:
        return cursor.execute(QUERY)

    call.close = conn.close  # type: ignore[attr-defined]  # keeps the connection: some cursors hold it weakly

    return call


def psycopg2_execute(mode: str) -> Call:
    conn = psycopg2.connect(PG_DSN)
    conn.autocommit = True
    return executing(conn)


def psycopg_execute(mode: str) -> Call:
    return executing(psycopg.connect(PG_DSN, autocommit=True))


async def psycopg_execute_async(mode: str) -> Callable[[], Any]:
    conn = await psycopg.AsyncConnection.connect(PG_DSN, autocommit=True)
    cursor = conn.cursor()

    async def call() -> Any:
        return await cursor.execute(QUERY)

    call.close = conn.close  # type: ignore[attr-defined]

    return call


async def asyncpg_fetchval(mode: str) -> Callable[[], Any]:
    conn = await asyncpg.connect(PG_DSN)

    async def call() -> Any:
        return await conn.fetchval(QUERY)

    call.close = conn.close  # type: ignore[attr-defined]
    return call


def mysql_execute(mode: str) -> Call:
    return executing(mysql.connector.connect(**MYSQL), buffered=True)


def pymysql_execute(mode: str) -> Call:
    return executing(pymysql.connect(**MYSQL))


def cases() -> List[Case]:
    return [
        Case("psycopg2 execute", "pg2", "psycopg", psycopg2_execute),
        Case("psycopg execute", "pg3", "psycopg", psycopg_execute),
        Case("psycopg execute (async)", "pg3async", "psycopg", psycopg_execute_async),
        Case("asyncpg fetchval", "asyncpg", "asyncpg", asyncpg_fetchval),
        Case("mysql-connector execute", "mysql", "mysql", mysql_execute),
        Case("PyMySQL execute", "pymysql", "pymysql", pymysql_execute),
    ]


def versions() -> str:
    names = ("psycopg2-binary", "psycopg", "asyncpg", "mysql-connector-python", "PyMySQL")
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in names)


def run(argv: Optional[List[str]] = None) -> None:
    main(__doc__, cases, ("psycopg", "psycopg2", "asyncpg", "mysql", "pymysql"), versions=versions(), argv=argv)


if __name__ == "__main__":
    run()
