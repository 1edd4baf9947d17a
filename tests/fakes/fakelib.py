"""A tiny stand-in library for exercising the plugin hierarchy: a database, a broker, a client, a server."""

from __future__ import annotations

from typing import Any
from typing import AsyncIterator
from typing import Dict
from typing import Iterator
from typing import List
from typing import Optional
from typing import Tuple

__version__ = "1.2.0"


class FakeError(Exception):
    pass


class Connection:
    def __init__(self, host: str = "db.internal", port: int = 5433, user: str = "alice", database: str = "inventory"):
        self.host, self.port, self.user, self.database = host, port, user, database
        self.received: List[Any] = []

    def execute(self, query: Any) -> int:
        return self._run(query)

    def _run(self, query: Any) -> int:
        self.received.append(query)
        if "fail" in str(query):
            raise FakeError("query failed")
        return 3

    async def aexecute(self, query: Any) -> int:
        return self._run(query)

    def rows(self, count: int) -> Iterator[int]:
        yield from range(count)

    async def arows(self, count: int) -> AsyncIterator[int]:
        for i in range(count):
            yield i


class Message:
    def __init__(self, topic: str, value: bytes, headers: Optional[Dict[str, str]], offset: int):
        self.topic, self.value, self.headers, self.offset = topic, value, headers, offset


class Delivery:
    """What an asynchronous send returns: settled later, when the 'broker' answers."""

    def __init__(self) -> None:
        self.callbacks: List[Any] = []

    def on_done(self, callback: Any) -> None:
        self.callbacks.append(callback)

    def settle(self, error: Optional[BaseException] = None) -> None:
        for callback in self.callbacks:
            callback(error)


class Broker:
    host = "broker.internal"
    port = 9092

    def __init__(self) -> None:
        self.queue: List[Message] = []

    def send_later(self, topic: str, value: bytes) -> Delivery:
        if not topic:
            raise ValueError("no topic")
        self.queue.append(Message(topic, value, None, len(self.queue)))
        return Delivery()

    def send(self, topic: str, value: bytes, headers: Optional[Dict[str, str]] = None) -> int:
        self.queue.append(Message(topic, value, headers, len(self.queue)))
        return len(self.queue) - 1

    def receive(self, topic: str, max_messages: int = 1) -> List[Message]:
        taken = [m for m in self.queue if m.topic == topic][:max_messages]
        for m in taken:
            self.queue.remove(m)
        return taken


ROUTES = {"/users/1": "/users/<int:uid>"}


def handle(method: str, path: str, headers: Dict[str, str]) -> Tuple[int, Dict[str, str]]:
    """A 'server': 200 for a known route, 404 otherwise, 500 for /boom, an exception for /crash; renders a
    page for /users/<uid>."""
    if path == "/boom":
        return 500, {}
    if path == "/crash":
        raise FakeError("crashed")
    if path in ROUTES:
        render("user.html")
    return (200 if path in ROUTES else 404), {"content-type": "text/plain"}


def render(template: str) -> str:
    """Work inside a request: a missing template raises LookupError, which the 'framework' turns into a 404."""
    if template.startswith("missing"):
        raise LookupError(template)
    if template.startswith("broken"):
        raise ValueError(template)
    return f"<p>{template}</p>"


def fetch(method: str, url: str, headers: Optional[Dict[str, str]] = None) -> int:
    """A 'client': pretends the peer answered 200."""
    return 200
