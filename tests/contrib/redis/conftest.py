"""The redis tests' client of the suite's Redis; the unix-socket server and the cluster are tests/contrib/conftest.py's
(the fault-injection runs use them too)."""

from __future__ import annotations

import os
from typing import Iterator

import pytest
import redis

PORT = int(os.environ.get("DDI_REDIS_PORT", "6379"))


@pytest.fixture
def r() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=PORT, db=5)
    yield client
    client.flushdb()
    client.close()
