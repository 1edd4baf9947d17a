"""A tiny key-value store client, the shape of a Redis client: commands, not SQL, and numbered databases."""

from __future__ import annotations

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

__version__ = "3.1.0"


class FakeKvError(Exception):
    pass


class Client:
    def __init__(
        self,
        host: str = "cache.internal",
        port: int = 6380,
        db: int = 0,
        username: Optional[str] = None,
        namespace: Optional[str] = None,  # a named keyspace, as document stores name their databases
    ):
        self.host, self.port, self.db, self.username, self.namespace = host, port, db, username, namespace
        self.data: Dict[Any, Any] = {}
        self.sent: List[tuple] = []

    def execute_command(self, name: str, *args: Any) -> Any:
        self.sent.append((name, *args))
        command = name.upper()
        if command == "GET":
            return self.data.get(args[0])
        if command == "MGET":
            return [self.data.get(key) for key in args]
        if command == "SET":
            self.data[args[0]] = args[1]
            return True
        raise FakeKvError(f"unknown command {name!r}")

    def get(self, key: Any) -> Any:
        return self.execute_command("GET", key)

    def set(self, key: Any, value: Any) -> Any:
        return self.execute_command("SET", key, value)
