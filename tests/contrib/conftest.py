"""Fixtures shared by the integration tests."""

from __future__ import annotations

from typing import Iterator

import pytest
from http_server import serve


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """The base URL of a real loopback HTTP server (tests/contrib/http_server.py)."""
    server, url = serve()
    yield url
    server.shutdown()
