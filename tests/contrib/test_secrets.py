"""Secrets never reach a span under default settings: each test plants a distinct secret in every place a caller
can put one (URL userinfo, a sensitive query parameter, ``Authorization``, cookies, a header not on the
allow-list) and searches every recorded span's resource, meta and metrics for it. The database integrations'
DSN passwords are covered in their own modules (asyncpg, psycopg, mysql)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Dict
from typing import Iterable
from typing import Iterator

import httpx
import pytest
from ddtrace.trace import Span

import ddtrace_integrations

SECRETS = {
    "userinfo": "S3cretUserinfo",
    "query": "S3cretQueryToken",
    "authorization": "S3cretBearer",
    "cookie": "S3cretCookie",
    "header": "S3cretApiKey",
}
QUERY = f"?token={SECRETS['query']}&page=2"
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
    ddtrace_integrations.patch(httpx=True, aiohttp=True)
    yield
    ddtrace_integrations.unpatch(httpx=True, aiohttp=True)


def _with_userinfo(base: str) -> str:
    return base.replace("://", f"://user:{SECRETS['userinfo']}@", 1)


def test_http_clients_keep_secrets_out_of_spans(clients, spans, base):
    url = _with_userinfo(base) + "/headers" + QUERY
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
