"""Plugin registry: one live instance per plugin class, subscribed to the event hub."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Dict
from typing import List
from typing import Type
from typing import TypeVar

from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

P = TypeVar("P", bound=TracingPlugin)

_plugins: Dict[Type[TracingPlugin], TracingPlugin] = {}


def register(plugin_cls: Type[P]) -> P:
    """Subscribe ``plugin_cls`` (idempotent); returns its live instance."""
    plugin = _plugins.get(plugin_cls)
    if plugin is None:
        plugin = _plugins[plugin_cls] = plugin_cls()
    if not plugin.enabled:
        plugin.register()
    return plugin  # type: ignore[return-value]


def unregister(plugin_cls: Type[TracingPlugin]) -> None:
    plugin = _plugins.get(plugin_cls)
    if plugin is not None:
        plugin.unregister()


def get(plugin_cls: Type[P]) -> P:
    return _plugins[plugin_cls]  # type: ignore[return-value]


def plugins_in(module: ModuleType) -> List[Type[TracingPlugin]]:
    """The concrete plugin classes a contrib module defines (those naming a package and operation)."""
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, TracingPlugin)
        and obj.__module__ == module.__name__
        and "package" in dir(obj)
        and "operation" in dir(obj)
    ]


def initialize(module_name: str) -> List[TracingPlugin]:
    """Register every plugin defined in ``module_name`` (e.g. ``...tracing_plugins.contrib.asyncpg``)."""
    return [register(cls) for cls in plugins_in(importlib.import_module(module_name))]


def configure(module_name: str) -> None:
    """Register the plugins' ``ddtrace.config`` entries: done when their library is patched, not before, as
    ddtrace does (an integration default service known too early changes other spans' ``_dd.svc_src``)."""
    for cls in plugins_in(importlib.import_module(module_name)):
        if cls in _plugins:
            _plugins[cls].integration_config  # noqa: B018


def shutdown(module_name: str) -> None:
    for cls in plugins_in(importlib.import_module(module_name)):
        unregister(cls)
