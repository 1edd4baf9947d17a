"""redis: one span per command or pipeline, as ddtrace's redis integration makes them."""

import functools
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import StorageContext
from ddtrace_integrations.tracing_plugins.base.storage import StoragePlugin


class RedisPlugin(StoragePlugin):
    package = "redis"
    operation = "execute"
    system = "redis"
    type = "redis"
    command_name = "redis.command"
    database_index_tag = "out.redis_db"
    raw_command_tag = "redis.raw_command"
    pin_service = False  # ddtrace's redis integration names its service from its settings alone
    service_at_start = True
    config_defaults = {
        "_default_service": dd.schematize_service_name("redis"),
        "cmd_max_length": dd.env_int("DD_REDIS_CMD_MAX_LENGTH", 1000),
        "resource_only_command": dd.env_flag("DD_REDIS_RESOURCE_ONLY_COMMAND", True),
    }

    @functools.cached_property
    def raw_command_key(self) -> Optional[str]:
        return dd.schematize_cache_operation(self.raw_command_tag, cache_provider=self.system)  # v1: "redis.command"

    def command_resource(self, ctx: dd.ExecutionContext, store: StorageContext) -> Optional[str]:
        return store.command if dd.setting(self.integration_config, "resource_only_command") else store.raw_command
