"""Secrets never reach a span under default settings: each test plants a distinct secret in every place a caller
can put one (URL userinfo, a sensitive query parameter, ``Authorization``, cookies, a header not on the
allow-list, a URL fragment, a DSN or connection password, a message header) and searches every recorded span's
resource, meta and metrics for it, under default settings (plus the optional connect spans, which see the
connection's parameters)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Dict
from typing import Iterable
from typing import Iterator

import httpx
import pytest
import requests
from ddtrace.trace import Span
from helpers import PG_DSN
from helpers import asgi_call
from helpers import assert_no_secret

import ddtrace_integrations

SECRETS = {
    "userinfo": "S3cretUserinfo",
    "query": "S3cretQueryToken",
    "query_password": "S3cretQueryPassword",
    "query_api_key": "S3cretQueryApiKey",
    "query_signature": "S3cretQuerySignature",
    "authorization": "S3cretBearer",
    "cookie": "S3cretCookie",
    "header": "S3cretApiKey",
}
QUERY = (
    f"?token={SECRETS['query']}&page=2&password={SECRETS['query_password']}"
    f"&api_key={SECRETS['query_api_key']}&X-Amz-Signature={SECRETS['query_signature']}"
)
HEADERS = {
    "Authorization": f"Bearer {SECRETS['authorization']}",
    "Cookie": f"session={SECRETS['cookie']}",
    "X-Api-Key": SECRETS["header"],
}


def assert_secret_free(spans: Iterable[Span], count: int) -> None:
    found = list(spans)
    assert len(found) >= count, [s.name for s in found]  # the spans the secrets could have reached exist
    for span in found:
        blob = json.dumps([span.resource, span.get_tags(), span.get_metrics()], default=str)
        for place, secret in SECRETS.items():
            assert secret not in blob, f"the {place} secret reached {span.name}: {blob}"


@pytest.fixture
def clients() -> Iterator[None]:
    ddtrace_integrations.patch(httpx=True, aiohttp=True, requests=True)
    yield
    ddtrace_integrations.unpatch(httpx=True, aiohttp=True, requests=True)


def _with_userinfo(base: str) -> str:
    return base.replace("://", f"://user:{SECRETS['userinfo']}@", 1)


def test_http_clients_keep_secrets_out_of_spans(clients, spans, base):
    url = _with_userinfo(base) + "/headers" + QUERY + "#S3cretFragment"
    with httpx.Client() as client:
        assert client.get(url, headers=HEADERS).status_code == 200

    async def with_aiohttp() -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            # aiohttp refuses credentials in the URL together with an Authorization header: one of each
            async with session.get(url) as response:
                assert response.status == 200
            async with session.get(base + "/headers" + QUERY, headers=HEADERS) as response:
                assert response.status == 200

    asyncio.run(with_aiohttp())
    assert_secret_free(spans.spans, 5)  # httpx's request, aiohttp's two requests and their connects
    assert_no_secret(spans.spans, "S3cretFragment")


def test_requests_keeps_secrets_out_of_spans(clients, spans, base):
    url = _with_userinfo(base) + "/headers" + QUERY + "#S3cretFragment"
    with requests.Session() as session:
        session.cookies.set("jar", SECRETS["cookie"])
        assert session.get(url, headers=HEADERS).status_code == 200
        params = {"token": SECRETS["query"], "password": SECRETS["query_password"], "api_key": SECRETS["query_api_key"]}
        assert session.get(base + "/redirect", params=params, headers=HEADERS).status_code == 200  # and its hop
        raw_at = base.replace("://", f"://user:a@{SECRETS['userinfo']}@", 1)  # a raw "@" inside the password
        assert session.get(raw_at + "/status/200").status_code == 200
    assert_secret_free(spans.spans, 4)
    assert_no_secret(spans.spans, "S3cretFragment")


def test_async_httpx_keeps_secrets_out_of_spans(clients, spans, base):
    async def request() -> None:
        async with httpx.AsyncClient() as client:
            response = await client.get(_with_userinfo(base) + "/headers" + QUERY, headers=HEADERS)
            assert response.status_code == 200

    asyncio.run(request())
    assert_secret_free(spans.spans, 1)


@pytest.fixture
def flask_client() -> Iterator[object]:
    ddtrace_integrations.patch(flask=True)
    sys.path.insert(0, str(Path(__file__).parent / "flask"))
    try:
        import flask_app

        yield flask_app.create_app().test_client()
    finally:
        sys.path.remove(str(Path(__file__).parent / "flask"))
        ddtrace_integrations.unpatch(flask=True)


def test_flask_keeps_secrets_out_of_spans(flask_client, spans):
    response = flask_client.get("/users/7" + QUERY, headers=HEADERS, buffered=True)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert_secret_free(spans.spans, 5)


def test_django_keeps_secrets_out_of_spans(django_app, spans):
    from django.test import Client

    headers: Dict[str, str] = {k.lower(): v for k, v in HEADERS.items() if k != "Cookie"}
    client = Client()
    client.cookies["session"] = SECRETS["cookie"]
    assert client.get("/users/7" + QUERY, headers=headers).status_code == 200
    assert_secret_free(spans.spans, 5)


def test_django_asgi_keeps_secrets_out_of_spans(django_app, spans):
    from django.core.asgi import get_asgi_application

    headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    status, _, _ = asyncio.run(asgi_call(get_asgi_application(), "GET", "/items/7", QUERY[1:].encode(), headers))
    assert status == 200
    assert_secret_free(spans.spans, 3)


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_starlette_and_fastapi_keep_secrets_out_of_spans(framework, spans):
    sys.path.insert(0, str(Path(__file__).parent / "starlette"))
    ddtrace_integrations.patch(starlette=True, fastapi=True)
    try:
        import asgi_apps

        app = asgi_apps.create_starlette() if framework == "starlette" else asgi_apps.create_fastapi()
        headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
        status, _, _ = asyncio.run(asgi_call(app, "GET", "/items/7", QUERY[1:].encode(), headers))
    finally:
        sys.path.remove(str(Path(__file__).parent / "starlette"))
        ddtrace_integrations.unpatch(starlette=True, fastapi=True)
    assert status == 200
    assert_secret_free(spans.spans, 1)


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_starlette_and_fastapi_websockets_keep_secrets_out_of_spans(framework, spans):
    """A handshake carrying every secret, and a message holding one (a message's size is tagged, never its text)."""
    sys.path.insert(0, str(Path(__file__).parent / "starlette"))
    ddtrace_integrations.patch(starlette=True, fastapi=True)
    try:
        import asgi_apps
        from starlette.testclient import TestClient

        if framework == "starlette":
            app = asgi_apps.create_starlette_websockets()
        else:
            app = asgi_apps.create_fastapi_websockets()
        with TestClient(app).websocket_connect("/ws/echo/a" + QUERY, headers=HEADERS) as ws:
            ws.send_text(SECRETS["header"])
            assert ws.receive_text() == "echo " + SECRETS["header"]
    finally:
        sys.path.remove(str(Path(__file__).parent / "starlette"))
        ddtrace_integrations.unpatch(starlette=True, fastapi=True)
    # the handshake, the connect message's and the message's receives, the echo, the client's close and its receive
    assert_secret_free(spans.spans, 6)


# --- databases: the password of a DSN, of a URL-style DSN's userinfo, or of a keyword never reaches a tag ---

DB_PASSWORD = "S3cretDbPassword"
PG_URL = PG_DSN.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)  # trust auth: accepted, and never checked


@pytest.fixture
def connect_spans_on(monkeypatch):
    import asyncpg  # noqa: F401  imported: a library's settings are registered when it is patched
    import mysql.connector  # noqa: F401
    import MySQLdb  # noqa: F401
    import psycopg  # noqa: F401
    import pymysql  # noqa: F401

    from ddtrace_integrations import _ddtrace as dd

    ddtrace_integrations.patch(psycopg=True, asyncpg=True, mysql=True, pymysql=True, mysqldb=True)
    for name in ("psycopg", "mysql", "pymysql", "mysqldb"):
        monkeypatch.setitem(dd.registered_config(name), "trace_connect", True)
    yield
    ddtrace_integrations.unpatch(psycopg=True, asyncpg=True, mysql=True, pymysql=True, mysqldb=True)


def test_postgres_passwords_stay_out_of_spans(connect_spans_on, spans):
    import asyncpg
    import psycopg
    import psycopg2

    async def with_async_drivers() -> None:
        conn = await psycopg.AsyncConnection.connect(PG_URL + "?application_name=shop")
        await (await conn.execute("SELECT 1")).fetchall()
        await conn.close()
        apg = await asyncpg.connect(PG_URL)
        await apg.fetchval("SELECT 1")
        await apg.close()

    for conn in (psycopg.connect(PG_URL), psycopg2.connect(PG_URL), psycopg2.connect(PG_DSN, password=DB_PASSWORD)):
        conn.cursor().execute("SELECT 1")
        conn.commit()
        conn.close()
    asyncio.run(with_async_drivers())
    queries = [s for s in spans.spans if s.name == "postgres.query"]
    assert len(queries) == 5 and spans.named("postgres.connect"), [s.name for s in spans.spans]
    assert_no_secret(spans.spans, DB_PASSWORD)


@pytest.fixture(scope="module")
def mysql_user() -> Iterator[Dict[str, object]]:
    """A MariaDB account with a real password (root has none), made and dropped untraced."""
    import os

    import pymysql

    args: Dict[str, object] = {"host": os.environ.get("DDI_MYSQL_HOST", "127.0.0.1")}
    args["port"] = int(os.environ.get("DDI_MYSQL_PORT", "3306"))
    admin = pymysql.connect(user="root", **args)  # type: ignore[arg-type]
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE USER IF NOT EXISTS 'ddi_secret'@'%' IDENTIFIED BY '{DB_PASSWORD}'")
        cursor.execute("GRANT ALL ON test.* TO 'ddi_secret'@'%'")
    yield {**args, "user": "ddi_secret", "database": "test"}
    with admin.cursor() as cursor:
        cursor.execute("DROP USER IF EXISTS 'ddi_secret'@'%'")
    admin.close()


def test_mysql_passwords_stay_out_of_spans(mysql_user, connect_spans_on, spans):
    import mysql.connector
    import MySQLdb
    import pymysql

    bad = {**mysql_user, "password": "wrong-" + DB_PASSWORD}
    for connect in (mysql.connector.connect, pymysql.connect, MySQLdb.connect):
        conn = connect(**mysql_user, password=DB_PASSWORD)  # type: ignore[operator]
        cursor = conn.cursor()
        cursor.execute("SELECT CURRENT_USER()")
        assert str(cursor.fetchall()[0][0]).startswith("ddi_secret@")  # the password was needed, and used
        conn.close()
        with pytest.raises(Exception, match="denied"):
            connect(**bad)  # type: ignore[operator]
    assert len([s for s in spans.spans if s.name in ("mysql.query", "pymysql.query")]) == 3
    assert_no_secret(spans.spans, DB_PASSWORD)


# --- Redis: a password given to AUTH, HELLO, MIGRATE, CONFIG SET or ACL SETUSER, or in a URL, is never a tag ---


def test_redis_passwords_stay_out_of_spans(spans):
    import redis

    port = int(os.environ.get("DDI_REDIS_PORT", "6379"))
    ddtrace_integrations.patch(redis=True)
    admin = redis.Redis(host="127.0.0.1", port=port)
    try:
        admin.acl_setuser("ddi_secret", enabled=True, passwords=[f"+{DB_PASSWORD}"], keys="*", commands=["+@all"])
        client = redis.Redis(host="127.0.0.1", port=port)
        assert client.auth(DB_PASSWORD, "ddi_secret") is True
        assert client.acl_whoami() in ("ddi_secret", b"ddi_secret")  # the password was needed, and used
        client.execute_command("HELLO", 2, "AUTH", "ddi_secret", DB_PASSWORD)
        with pytest.raises(redis.RedisError):
            client.execute_command("AUTH", "wrong-" + DB_PASSWORD)
        client.execute_command("MIGRATE", "127.0.0.1", 1, "", 0, 100, "AUTH", DB_PASSWORD, "KEYS", "k")  # NOKEY
        client.close()
        with redis.Redis.from_url(f"redis://ddi_secret:{DB_PASSWORD}@127.0.0.1:{port}/0") as by_url:
            by_url.ping()
        admin.config_set("masterauth", DB_PASSWORD)
        admin.config_set("masterauth", "")
    finally:
        admin.acl_deluser("ddi_secret")
        admin.close()
        ddtrace_integrations.unpatch(redis=True)
    assert len(spans.named("redis.command")) == 10, [s.resource for s in spans.spans]
    assert_no_secret(spans.spans, DB_PASSWORD)


# --- messaging: a header's value is never a tag ---


def test_kafka_message_headers_stay_out_of_spans(spans):
    sys.path.insert(0, str(Path(__file__).parent / "kafka"))
    try:
        from clients import CLIENTS
        from clients import new_topic
    finally:
        sys.path.remove(str(Path(__file__).parent / "kafka"))
    ddtrace_integrations.patch(kafka=True, aiokafka=True, kafka_python=True)
    try:
        for adapter in CLIENTS.values():
            client = adapter(new_topic())
            client.produce(b"v", b"k", [("authorization", b"S3cretKafkaHeader"), ("x-api-key", b"S3cretKafkaHeader")])
            assert client.consume_one() is not None
            client.close()
    finally:
        ddtrace_integrations.unpatch(kafka=True, aiokafka=True, kafka_python=True)
    assert len(spans.named("kafka.produce")) == 3 and len(spans.named("kafka.consume")) >= 3
    assert_no_secret(spans.spans, "S3cretKafkaHeader")


def test_sqlite_database_paths_stay_out_of_spans(spans, tmp_path):
    import sqlite3

    ddtrace_integrations.patch(sqlite3=True)
    try:
        uri = f"file:{tmp_path}/{DB_PASSWORD}.db?mode=rwc&cache=private&token={DB_PASSWORD}"
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("SELECT 1").fetchall()
        conn.commit()
        conn.close()
    finally:
        ddtrace_integrations.unpatch(sqlite3=True)
    assert [s.name for s in spans.spans] == ["sqlite.query", "sqlite.connection.commit"]
    assert_no_secret(spans.spans, DB_PASSWORD)
