"""StoragePlugin: clients of a storage system, named after that system."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Dict
from typing import Optional

from ddtrace_integrations.tracing_plugins.base.client import ClientPlugin


class StoragePlugin(ClientPlugin):
    type = "storage"
    # The storage system ("postgresql", "mysql", "redis"): tagged as db.system, and the default service.
    system: ClassVar[Optional[str]] = None

    def span_attributes(self) -> Dict[str, Any]:
        attributes = super().span_attributes()
        if self.system:
            attributes["db.system"] = self.system
        return attributes
