"""The fake key-value store's plugin: a StoragePlugin on its own (no SQL naming, no DBM), declarations only."""

from ddtrace_integrations.api import StoragePlugin


class FakeKvCommandPlugin(StoragePlugin):
    package = "fakekv"
    operation = "command"
    system = "fakekv"
    type = "cache"
    command_name = "fakekv.call"
    database_index_tag = "out.fakekv_db"
    raw_command_tag = "fakekv.raw_command"
    config_defaults = {"_default_service": "fakekv"}
