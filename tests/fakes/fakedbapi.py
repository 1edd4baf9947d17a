"""A tiny DB-API 2 driver with the habits of real ones: executemany and callproc run execute inside."""

from __future__ import annotations

from typing import Any
from typing import List
from typing import Optional
from typing import Sequence

__version__ = "2.0.0"


class DatabaseError(Exception):
    pass


class Connection:
    def __init__(self, host: str = "db.internal", port: int = 5433, user: str = "alice", db: Optional[str] = "shop"):
        self.host, self.port, self.user, self.db = host, port, user, db
        self.received: List[Any] = []
        self.commits = 0

    def cursor(self) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        pass


class Cursor:
    arraysize = 5

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.rowcount = -1
        self._rows: List[int] = []

    def execute(self, query: Any, params: Optional[Sequence[Any]] = None) -> int:
        self.connection.received.append(query)
        if "fail" in str(query):
            self.rowcount = -1
            raise DatabaseError("query failed")
        self._rows = list(range(3))
        self.rowcount = len(self._rows)
        return self.rowcount

    def executemany(self, query: Any, seq: Sequence[Sequence[Any]]) -> None:
        total = 0
        for params in seq:
            total += self.execute(query, params)
        self.rowcount = total

    def callproc(self, procname: str, args: Sequence[Any] = ()) -> Sequence[Any]:
        self.execute(f"CALL {procname}({', '.join('%s' for _ in args)})", args)
        return args

    def fetchone(self) -> Optional[int]:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: Optional[int] = None) -> List[int]:
        return [row for row in (self.fetchone() for _ in range(size or self.arraysize)) if row is not None]

    def fetchall(self) -> List[int]:
        rows, self._rows = self._rows, []
        return rows


def connect(**kwargs: Any) -> Connection:
    return Connection(**kwargs)
