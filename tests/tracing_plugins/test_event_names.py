"""The registry refuses a plugin whose event name ddtrace's own handlers already listen to (e.g. redis.command)."""

from __future__ import annotations

import sys
import types
from typing import Iterator

import pytest
from helpers import bin_path
from helpers import run_python

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import tracing_plugins
from ddtrace_integrations.api import EventNameTaken
from ddtrace_integrations.api import StoragePlugin
from ddtrace_integrations.api import event_name_taken


class RedisCommandPlugin(StoragePlugin):
    package = "redis"
    operation = "command"


class RedisCallPlugin(StoragePlugin):
    package = "redis"
    operation = "call"


@pytest.fixture
def forget() -> Iterator[None]:
    """Plugins a test registers are forgotten afterwards, with the listeners they leave (their names are the
    tests' own)."""
    before = set(tracing_plugins._plugins)
    yield
    for cls in set(tracing_plugins._plugins) - before:
        plugin = tracing_plugins._plugins.pop(cls)
        for phase in ("started", "ended", "returned"):
            dd.core.reset_listeners(f"context.{phase}.{plugin.event_name}")


def test_ddtrace_listens_to_redis_command():
    """The premise, from the real hub: ddtrace's trace handlers hear ``context.started.redis.command``."""
    assert event_name_taken("redis.command")
    assert not event_name_taken("redis.call")


def test_a_taken_name_is_refused_and_nothing_is_subscribed(forget):
    with pytest.raises(EventNameTaken, match=r"'redis\.command' is already listened to .* redis\.command_call"):
        tracing_plugins.register(RedisCommandPlugin)
    assert RedisCommandPlugin not in tracing_plugins._plugins
    assert not dd.core.has_listeners("context.started.redis.call")
    assert tracing_plugins.register(RedisCallPlugin).enabled
    assert dd.core.has_listeners("context.started.redis.call")


def test_a_module_with_one_taken_name_registers_none_of_its_plugins(forget, monkeypatch):
    module = types.ModuleType("acme_redis_plugins")
    for cls in (RedisCallPlugin, RedisCommandPlugin):
        monkeypatch.setattr(cls, "__module__", module.__name__)
        setattr(module, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    with pytest.raises(EventNameTaken, match=r"RedisCommandPlugin: the event name 'redis\.command'"):
        tracing_plugins.initialize(module.__name__)
    assert RedisCallPlugin not in tracing_plugins._plugins
    assert RedisCommandPlugin not in tracing_plugins._plugins


def test_our_own_plugins_may_share_an_event_and_register_again(forget):
    class First(StoragePlugin):
        package = "acme"
        operation = "shared"

    class Second(StoragePlugin):
        package = "acme"
        operation = "shared"

    tracing_plugins.register(First)
    tracing_plugins.register(Second)  # the hub now hears "acme.shared" from us: not a conflict
    tracing_plugins.unregister(First)
    tracing_plugins.unregister(Second)
    assert tracing_plugins.register(First).enabled  # still ours, after the listeners left behind by unregister
    assert tracing_plugins.register(Second).enabled


BUILT_IN_NAMES = """
import importlib
from ddtrace_integrations import _patching, tracing_plugins
for integration in sorted(_patching.BUILTIN.values(), key=lambda i: i.name):
    for cls in tracing_plugins.plugins_in(importlib.import_module(integration.plugins)):
        tracing_plugins.check_event_name(cls)
        print(cls.package + "." + cls.operation)
"""


@pytest.mark.parametrize("products", [{}, {"DD_APPSEC_ENABLED": "true", "DD_IAST_ENABLED": "true"}])
def test_no_built_in_integration_uses_a_name_ddtrace_listens_to(products):
    """In a fresh process (no v2 plugin registered yet), with ddtrace's products on or off."""
    names = run_python(BUILT_IN_NAMES, products, prefix=(bin_path("ddtrace-integrations"), "run")).split()
    assert {"asyncpg.execute", "django.cache_call", "aiokafka.produce", "flask.request"} <= set(names)


def test_through_the_registry_the_library_is_left_untraced(forget, monkeypatch, caplog, spans):
    """An integration whose plugin takes a name ddtrace listens to: refused when its library is imported, with
    the registry's error line; the library works, untraced."""
    import os

    from ddtrace_integrations import _patching
    from ddtrace_integrations import patch
    from ddtrace_integrations import unpatch

    module = types.ModuleType("acme_taken_plugins")
    monkeypatch.setattr(RedisCommandPlugin, "__module__", module.__name__)
    module.RedisCommandPlugin = RedisCommandPlugin
    monkeypatch.setitem(sys.modules, module.__name__, module)
    integration = _patching.Integration("fakekv", ("fakekv",), "fakes.fakekv_publisher", module.__name__)
    monkeypatch.setitem(_patching.BUILTIN, "fakekv", integration)
    monkeypatch.delitem(_patching._states, "fakekv", raising=False)  # the registry's state for this integration
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(os.path.dirname(__file__)), "fakes"))
    import fakekv

    patch(fakekv=True)
    try:
        assert fakekv.Client().set("a", 1) is True
        assert _patching.patched()["fakekv"] == ()
    finally:
        unpatch(fakekv=True)
        _patching._states.pop("fakekv")  # holds this test's integration: the fake_kv fixture's gets a state anew
    assert "patching fakekv failed; it is not traced" in caplog.text and "EventNameTaken" in caplog.text
    assert spans.spans == []
