"""The fake key-value store's publisher: a StorageContext per command, the rows a read returned."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Dict
from typing import Optional

from ddtrace_integrations.api import Args
from ddtrace_integrations.api import Event
from ddtrace_integrations.api import ExecutionContext
from ddtrace_integrations.api import Kwargs
from ddtrace_integrations.api import Publisher
from ddtrace_integrations.api import StorageContext
from ddtrace_integrations.api import traced

supported_versions = {"fakekv": ">=3.0"}
publisher = Publisher("fakekv")
RAW_COMMAND_LIMIT = 100  # a command's text is cut here: values can be large


def _command(client: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
    if not args:
        return None  # the client raises its own error; nothing to describe
    raw = " ".join(str(arg) for arg in args)
    store = StorageContext(
        "fakekv",
        command=str(args[0]).upper(),
        raw_command=raw[:RAW_COMMAND_LIMIT],
        host=client.host,
        port=client.port,
        user=client.username,
        database=client.namespace,
        database_index=client.db,
    )
    return {"storage_context": store}


def _rows(ctx: ExecutionContext, result: Any) -> None:
    store: StorageContext = ctx.get_item("storage_context")
    if store.command == "GET":
        store.rowcount = 0 if result is None else 1
    elif store.command == "MGET" and isinstance(result, list):
        store.rowcount = sum(value is not None for value in result)


def patch(fakekv: ModuleType) -> None:
    publisher.pin(fakekv)
    command = Event("fakekv.command", _command, pin_source=fakekv, done=_rows)
    publisher.wrap(fakekv.Client, "execute_command", traced(command))


def unpatch(fakekv: ModuleType) -> None:
    publisher.unwrap_all()
