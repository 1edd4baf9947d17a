"""StoragePlugin: clients of a storage system, named after that system."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.client import ClientPlugin


class StoragePlugin(ClientPlugin):
    type = "storage"
    # The storage system ("postgresql", "mysql", "redis"): tagged as db.system, and the default service.
    system: ClassVar[Optional[str]] = None

    def start_span(self, ctx: dd.ExecutionContext, name: str, **options: Any) -> Optional[dd.Span]:
        span = super().start_span(ctx, name, **options)
        if span is not None and self.system:
            dd.set_attribute(span, "db.system", self.system)
        return span
