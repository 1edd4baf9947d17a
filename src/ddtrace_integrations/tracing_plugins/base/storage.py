"""StoragePlugin: clients of a storage system, named after that system.

On its own it traces a store that is not a SQL database (a key-value store, a cache) from a ``StorageContext``:
one span per command, named ``command_name``, its resource the command. ``DatabasePlugin`` builds on it for SQL.
"""

from __future__ import annotations

import functools
from typing import Any
from typing import ClassVar
from typing import Dict
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.client import ClientPlugin
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import StorageContext
from ddtrace_integrations.tracing_plugins.base.outbound import host_tags

STORAGE = "storage_context"


class StoragePlugin(ClientPlugin):
    type = "storage"
    measured = True
    peer_service_precursors = ("db.name",)
    # The storage system ("postgresql", "mysql", "redis"): tagged as db.system, and the default service.
    system: ClassVar[Optional[str]] = None
    # The span name under schema v0 (e.g. "redis.command"); v1 names it "{system}.command".
    command_name: ClassVar[str] = ""
    # Where the store's own tags go (e.g. "out.redis_db", "redis.raw_command"); None: not tagged.
    database_index_tag: ClassVar[Optional[str]] = None
    raw_command_tag: ClassVar[Optional[str]] = None

    def span_attributes(self) -> Dict[str, Any]:
        attributes = super().span_attributes()
        if self.system:
            attributes["db.system"] = self.system
        return attributes

    @functools.cached_property
    def command_span_name(self) -> str:
        """``command_name`` under the span attribute schema, which ddtrace reads once, when it starts."""
        return dd.schematize_cache_operation(self.command_name, cache_provider=self.system)

    def command_operation(self, ctx: dd.ExecutionContext, store: StorageContext) -> str:
        """The span's name (override for one per command)."""
        return self.command_span_name

    def command_resource(self, ctx: dd.ExecutionContext, store: StorageContext) -> Optional[str]:
        """The span's resource: the context's, else the command; empty, the tracer names it after the span."""
        return store.resource or store.command

    @functools.cached_property
    def raw_command_key(self) -> Optional[str]:
        """The tag the raw command goes under (override when the span attribute schema renames it)."""
        return self.raw_command_tag

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        items = dd.context_items(ctx)
        store: StorageContext = items[STORAGE]
        index = store.database_index if self.database_index_tag else None
        shared = storage_tags(
            self.database_index_tag, store.host, store.port, store.user, store.database, index, store.connection_tags
        )
        span = self.start_span(
            ctx, self.command_operation(ctx, store), resource=self.command_resource(ctx, store), tags=shared
        )
        if span is None:
            return
        pin = items["pin"]
        if pin.tags:
            dd.set_tags(span, pin.tags)
        if self.raw_command_key and store.raw_command is not None:
            dd.set_attribute(span, self.raw_command_key, store.raw_command)
        if store.tags:
            dd.set_tags(span, store.tags)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        store: StorageContext = dd.context_items(ctx)[STORAGE]
        if store.rowcount is not None:
            span.set_metric("db.row_count", store.rowcount)
        super().finish_span(ctx, span, exc_info)


@functools.lru_cache(maxsize=256)
def storage_tags(
    index_tag: Optional[str],
    host: Optional[str],
    port: Optional[int],
    user: Optional[str],
    database: Optional[str],
    index: Optional[int],
    connection_tags: Tuple[Tuple[str, Any], ...],
) -> Dict[str, Any]:
    """The tags of every command on one connection, built once per connection settings: never modify."""
    tags = dict(host_tags(host, port))
    if user:
        tags["db.user"] = user
    if database:
        tags["db.name"] = database
    if index_tag and index is not None:
        tags[index_tag] = index
    tags.update(connection_tags)
    return tags
