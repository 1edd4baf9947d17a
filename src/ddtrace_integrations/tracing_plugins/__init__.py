"""Plugin registry: one live instance per plugin class, subscribed to the event hub."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Dict
from typing import List
from typing import Type
from typing import TypeVar

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.tracing import TracingPlugin

P = TypeVar("P", bound=TracingPlugin)

_plugins: Dict[Type[TracingPlugin], TracingPlugin] = {}


class EventNameTaken(ValueError):
    """A plugin's event name is one that something else (ddtrace's own handlers) listens to."""


def check_event_name(plugin_cls: Type[TracingPlugin]) -> None:
    """Refuse an event name another listener already hears (e.g. ``redis.command``, which ddtrace's own handlers
    hear): its handlers would run on our contexts, and our plugin on ddtrace's. Names our own plugins hear are
    fine (several plugins may share an event)."""
    name = f"{plugin_cls.package}.{plugin_cls.operation}"
    if any(plugin.event_name == name for plugin in _plugins.values()):
        return
    if dd.listened_context(name):
        raise EventNameTaken(
            f"{plugin_cls.__qualname__}: the event name {name!r} is already listened to (ddtrace's own handlers use "
            f"it); name the operation differently, e.g. {plugin_cls.package}.{plugin_cls.operation}_call "
            "(docs/writing-an-integration.md, 'Event names')"
        )


def register(plugin_cls: Type[P]) -> P:
    """Subscribe ``plugin_cls`` (idempotent); returns its live instance. Raises ``EventNameTaken`` for an event
    name already listened to by others."""
    plugin = _plugins.get(plugin_cls)
    if plugin is None:
        check_event_name(plugin_cls)
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
    """Register every plugin defined in ``module_name`` (e.g. ``...tracing_plugins.contrib.asyncpg``): none of
    them if one has an event name others listen to."""
    classes = plugins_in(importlib.import_module(module_name))
    for cls in classes:
        if cls not in _plugins:
            check_event_name(cls)
    return [register(cls) for cls in classes]


def configure(module_name: str) -> None:
    """Register the plugins' ``ddtrace.config`` entries: done when their library is patched, not before, as
    ddtrace does (an integration default service known too early changes other spans' ``_dd.svc_src``)."""
    for cls in plugins_in(importlib.import_module(module_name)):
        if cls in _plugins:
            _plugins[cls].integration_config  # noqa: B018


def shutdown(module_name: str) -> None:
    for cls in plugins_in(importlib.import_module(module_name)):
        unregister(cls)
