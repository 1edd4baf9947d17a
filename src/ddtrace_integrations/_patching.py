"""Which integrations exist, and patching them: lazily, once, with ddtrace's own integration kept inactive.

Start-up (``ddtrace-integrations run``) only registers import hooks and claims ddtrace's integrations; a
publisher and its plugins are imported and subscribed when their library is first imported, so an
application pays nothing for the libraries it does not use.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from types import ModuleType
from typing import Any
from typing import Dict
from typing import Iterator
from typing import Optional
from typing import Set
from typing import Tuple

import wrapt

from ddtrace_integrations import _ddtrace as dd

log = dd.get_logger(__name__)

ENTRY_POINT_GROUP = "ddtrace_integrations.plugins"


@dataclass(frozen=True)
class Integration:
    """Both sides of one integration; third-party packages publish one under ENTRY_POINT_GROUP."""

    name: str  # ddtrace.config.<name>, DD_TRACE_<NAME>_ENABLED
    modules: Tuple[str, ...]  # importing any of these triggers patching
    publisher: str  # module with patch(module), unpatch(module), supported_versions
    plugins: str  # module defining the plugin classes
    ddtrace_contrib: Optional[str] = None  # ddtrace's own integration for the same modules


def _builtin(name: str, modules: Tuple[str, ...], ddtrace_contrib: Optional[str] = None) -> Integration:
    return Integration(
        name,
        modules,
        f"ddtrace_integrations.auto.{name}.patch",
        f"ddtrace_integrations.tracing_plugins.contrib.{name}",
        ddtrace_contrib,
    )


BUILTIN: Dict[str, Integration] = {
    i.name: i
    for i in (
        _builtin("asyncpg", ("asyncpg",), "asyncpg"),
        _builtin("psycopg", ("psycopg", "psycopg2"), "psycopg"),
        _builtin("mysql", ("mysql.connector", "mysql.connector.aio"), "mysql"),
        _builtin("pymysql", ("pymysql",), "pymysql"),
        _builtin("mysqldb", ("MySQLdb",), "mysqldb"),
        _builtin("sqlite3", ("sqlite3",), "sqlite3"),
        _builtin("httpx", ("httpx",), "httpx"),
        _builtin("aiohttp", ("aiohttp",), "aiohttp"),
        _builtin("requests", ("requests",), "requests"),
        _builtin("redis", ("redis",), "redis"),
        _builtin("flask", ("flask",), "flask"),
        _builtin("django", ("django", "channels.routing"), "django"),
        _builtin("starlette", ("starlette",), "starlette"),
        _builtin("fastapi", ("fastapi",), "fastapi"),
        _builtin("kafka", ("confluent_kafka",), "kafka"),
        _builtin("aiokafka", ("aiokafka",), "aiokafka"),
        _builtin("kafka_python", ("kafka",), None),
    )
}


def integrations() -> Dict[str, Integration]:
    """The built-in integrations and the third-party ones (which may replace a built-in one). Reading the entry
    points scans every installed distribution: done once per ``patch``/``patch_all`` call."""
    found = dict(BUILTIN)
    from importlib.metadata import entry_points

    try:
        eps: Any = entry_points()
        group = eps.select(group=ENTRY_POINT_GROUP) if hasattr(eps, "select") else eps.get(ENTRY_POINT_GROUP, ())
        for ep in group:
            try:
                integration = ep.load()
                found[integration.name] = integration
            except Exception:
                log.warning("ddtrace-integrations: could not load plugin entry point %s", ep.name, exc_info=True)
    except Exception:
        log.debug("entry points unavailable", exc_info=True)
    return found


@dataclass
class _State:
    integration: Integration
    active: bool = False
    subscribed: bool = False  # the plugins listen: from the first patched module until unpatch
    patched: Dict[str, ModuleType] = field(default_factory=dict)
    hooked: Set[str] = field(default_factory=set)


_states: Dict[str, _State] = {}
_lock = threading.RLock()
_loading_publisher = 0


@contextmanager
def loading_publisher() -> Iterator[None]:
    """Importing a publisher imports ``ddtrace_integrations.auto``, which must not bootstrap then."""
    global _loading_publisher
    _loading_publisher += 1
    try:
        yield
    finally:
        _loading_publisher -= 1


def is_loading_publisher() -> bool:
    return _loading_publisher > 0


def _publisher(integration: Integration) -> ModuleType:
    with loading_publisher():
        return importlib.import_module(integration.publisher)


def _version(publisher: ModuleType, module: ModuleType) -> Optional[str]:
    getter = getattr(publisher, "get_version", None)
    return getter(module) if getter else getattr(module, "__version__", None)


def _on_import(state: _State, module: ModuleType) -> None:
    with _lock:
        if not state.active or module.__name__ in state.patched:
            return
        name = state.integration.name
        try:
            from ddtrace_integrations import tracing_plugins

            publisher = _publisher(state.integration)
            spec = publisher.supported_versions.get(module.__name__)
            version = _version(publisher, module)
            if spec and version and not dd.version_matches(version, spec):
                log.warning("ddtrace-integrations: %s %s is not supported (%s)", module.__name__, version, spec)
                return
            if not state.subscribed:
                tracing_plugins.initialize(state.integration.plugins)
                state.subscribed = True
            publisher.patch(module)
            tracing_plugins.configure(state.integration.plugins)
            state.patched[module.__name__] = module
        except Exception:
            log.error("ddtrace-integrations: patching %s failed; it is not traced", name, exc_info=True)


def _patch_one(integration: Integration) -> None:
    state = _states.setdefault(integration.name, _State(integration))
    if state.active:
        return
    dd.guard_peer_service_processor()
    if integration.ddtrace_contrib:
        dd.claim_ddtrace_integration(integration.ddtrace_contrib)
    state.active = True
    for module_name in integration.modules:
        if module_name not in state.hooked:
            state.hooked.add(module_name)
            wrapt.register_post_import_hook(functools.partial(_on_import, state), module_name)
        elif module_name in sys.modules:  # patched before, unpatched since: the hook will not fire again
            _on_import(state, sys.modules[module_name])


def patch(raise_errors: bool = True, **flags: bool) -> None:
    """Trace the named libraries now, or as soon as they are imported (idempotent)."""
    _patch(integrations(), raise_errors, flags)


def _patch(known: Dict[str, Integration], raise_errors: bool, flags: Dict[str, bool]) -> None:
    with _lock:
        for name, enabled in flags.items():
            if not enabled:
                continue
            if name not in known:
                if raise_errors:
                    raise ValueError(f"ddtrace-integrations has no integration named {name!r}")
                log.warning("ddtrace-integrations has no integration named %r", name)
                continue
            _patch_one(known[name])


def enabled_flags(known: Dict[str, Integration]) -> Dict[str, bool]:
    """Integration name -> on, from DD_TRACE_<LIB>_ENABLED then DD_PATCH_MODULES (which wins), as ddtrace reads
    them: what ``patch_all`` patches, and what ``ddtrace-integrations list`` reports."""
    flags = {name: dd.enabled_by_env(name) is not False for name in known}
    flags.update({k: v for k, v in dd.patch_modules_env().items() if k in flags})
    return flags


def patch_all(**overrides: bool) -> None:
    """Every integration, minus those turned off by DD_TRACE_<LIB>_ENABLED or DD_PATCH_MODULES."""
    known = integrations()
    flags = enabled_flags(known)
    flags.update(overrides)
    _patch(known, False, flags)


def unpatch(**flags: bool) -> None:
    with _lock:
        for name, enabled in flags.items():
            state = _states.get(name)
            if not enabled or state is None or not state.active:
                continue
            state.active = False
            if state.patched:
                publisher = _publisher(state.integration)
                for module in state.patched.values():
                    publisher.unpatch(module)
                state.patched.clear()
            if state.subscribed:
                from ddtrace_integrations import tracing_plugins

                tracing_plugins.shutdown(state.integration.plugins)
                state.subscribed = False
            if state.integration.ddtrace_contrib:
                dd.release_ddtrace_integration(state.integration.ddtrace_contrib)


def patched() -> Dict[str, Tuple[str, ...]]:
    """Integration name -> modules currently patched."""
    return {name: tuple(s.patched) for name, s in _states.items() if s.active}
