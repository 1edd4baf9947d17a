"""Wait until every service the suite uses does real work, not only accepts connections (run by scripts/test).

A port that is open is not a service that is ready: PostgreSQL refuses logins while it starts, and a broker
that was just started answers metadata without its cluster id for a while (which a Kafka integration then
records as missing). Each check retries until it passes or its deadline ends; the script exits 1 naming
what never became ready.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from typing import Callable
from typing import List
from typing import Tuple

DEADLINE_S = 60.0


def agent() -> None:
    url = os.environ["DDI_TEST_AGENT_URL"]
    with urllib.request.urlopen(f"{url}/info", timeout=5) as response:
        json.load(response)


def postgres() -> None:
    import psycopg

    with psycopg.connect(os.environ["DDI_PG_DSN"], connect_timeout=5) as conn:
        conn.execute("SELECT 1").fetchone()


def mariadb() -> None:
    import pymysql

    conn = pymysql.connect(
        host=os.environ["DDI_MYSQL_HOST"], port=int(os.environ["DDI_MYSQL_PORT"]), user="root", database="test"
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        conn.close()


def kafka() -> None:
    from confluent_kafka.admin import AdminClient

    client = AdminClient({"bootstrap.servers": os.environ["DDI_KAFKA_BOOTSTRAP_SERVERS"], "socket.timeout.ms": 5000})
    if not client.list_topics(timeout=5).cluster_id:
        raise RuntimeError("the broker answers metadata without a cluster id yet")


def redis() -> None:
    import redis as redis_py

    redis_py.Redis(host="127.0.0.1", port=int(os.environ.get("DDI_REDIS_PORT", "6379")), socket_timeout=5).ping()


CHECKS: List[Tuple[str, Callable[[], None]]] = [
    ("test agent", agent),
    ("postgres", postgres),
    ("mariadb", mariadb),
    ("kafka", kafka),
    ("redis", redis),
]


def main() -> int:
    failed = []
    for name, check in CHECKS:
        started, deadline, last = time.monotonic(), time.monotonic() + DEADLINE_S, ""
        while True:
            try:
                check()
                print(f"{name:<12} ready ({time.monotonic() - started:.1f} s)")
                break
            except Exception as e:  # a service still starting answers with any kind of error
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() >= deadline:
                print(f"{name:<12} NOT READY after {DEADLINE_S:.0f} s: {last}")
                failed.append(name)
                break
            time.sleep(0.5)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
