"""Django's optional spans, each behind ddtrace's switch (off by default: ``DD_DJANGO_TRACING_MINIMAL``):
template renders (``instrument_templates``), cache calls (``instrument_caches``) and queries through
Django's cursor (``instrument_databases``, traced by DatabasePlugin)."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import Optional
from typing import Tuple

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.publisher import Args
from ddtrace_integrations.publisher import Event
from ddtrace_integrations.publisher import Kwargs
from ddtrace_integrations.publisher import Publisher
from ddtrace_integrations.publisher import argument
from ddtrace_integrations.publisher import function_name
from ddtrace_integrations.publisher import is_wrapped
from ddtrace_integrations.publisher import replace_argument
from ddtrace_integrations.publisher import traced
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext
from ddtrace_integrations.tracing_plugins.base.events import InternalContext

log = dd.get_logger(__name__)

CONNECTION_TAGS: Tuple[Tuple[str, str], ...] = (
    ("out.host", "HOST"),
    ("network.destination.port", "PORT"),
    ("server.address", "HOST"),
)
CONNECTION_TAGS += (("db.user", "USER"), ("db.name", "NAME"))
CACHE_METHODS = ("get", "set", "add", "delete", "incr", "decr", "get_many", "set_many", "delete_many")


def patch(django: ModuleType, publisher: Publisher) -> None:
    from django.template.base import Template

    render = Event("django.internal", _template, pin_source=django)
    publisher.wrap(Template, "render", _when("instrument_templates", render))
    publisher.wrap(django.apps.registry.Apps, "populate", _after_populate(django, publisher))


def _when(setting: str, event: Event) -> Callable:
    """``event`` traced while the switch is on, read per call (after the listener check), as ddtrace does: the
    switch can change at runtime."""
    wrapper, started, has_listeners = traced(event), event.started, dd.core.has_listeners

    def switched(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if has_listeners(started) and dd.integration_setting("django", setting):
            return wrapper(wrapped, instance, args, kwargs)
        return wrapped(*args, **kwargs)

    return switched


def _template(template: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
    name = getattr(template, "name", None)
    tags = {"django.template.name": str(name)} if name else {}
    engine = getattr(template, "engine", None)
    if engine is not None:
        tags["django.template.engine.class"] = function_name(type(engine))
    resource = str(name) if name else f"{function_name(type(template))}.render"
    internal = InternalContext(
        "django.template.render", resource, "template", tags=tags, inherit_service=True, service_source=False
    )
    return {"internal_context": internal}


def _after_populate(django: ModuleType, publisher: Publisher) -> Callable:
    def populate(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        result = wrapped(*args, **kwargs)
        for setting, wrap in (("instrument_caches", _wrap_caches), ("instrument_databases", _wrap_databases)):
            if dd.integration_setting("django", setting):
                try:
                    wrap(django, publisher)
                except Exception:
                    log.debug("%s: not traced", setting, exc_info=True)
        return result

    return populate


def _wrap_caches(django: ModuleType, publisher: Publisher) -> None:
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in {cache["BACKEND"] for cache in settings.CACHES.values()}:
        backend = import_string(path)
        for method in CACHE_METHODS:
            owner = next((c for c in backend.__mro__ if method in vars(c)), None)
            if owner is not None:
                event = Event("django.cache_call", _cache(method, vars(owner)[method]), pin_source=django, done=_hits)
                publisher.wrap(owner, method, _when("instrument_caches", event))


def _cache(method: str, function: Any) -> Callable[[Any, Args, Kwargs], Dict[str, Any]]:
    operation = f"{function.__module__}.{method}"

    def build(backend: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
        prefix = getattr(backend, "key_prefix", None)
        tags: Dict[str, Any] = {"django.cache.backend": f"{type(backend).__module__}.{type(backend).__name__}"}
        if args:
            tags["django.cache.key"] = _keys(args[0])
        resource = (f"{operation} {prefix}" if prefix else operation).lower()
        return {"internal_context": InternalContext("django.cache", resource, "cache", tags=tags), "method": method}

    return build


def _keys(keys: Any) -> str:
    """The keys a call names, as ddtrace tags them (a dict's keys, a list's items)."""
    if isinstance(keys, dict):
        keys = list(keys)
    if isinstance(keys, (list, tuple, set)):
        return " ".join(str(k) for k in keys)
    return str(keys)


def _hits(ctx: dd.ExecutionContext, result: Any) -> None:
    """``db.row_count`` as ddtrace counts it: for ``get_many``, the truthy keys of the dict it returns (the keys
    found); for ``get``, 1 unless it returned None or the backend's missing-key sentinel (what the ``get`` calls
    inside ``BaseCache.get_many`` return for a missing key); 0 for the other calls and for a value that cannot
    be compared with the sentinel."""
    method = ctx.get_item("method")
    hits = 0
    try:
        if method == "get_many":
            hits = sum(1 for key in result if key) if result and isinstance(result, Iterable) else 0
        elif method == "get":
            hits = 0 if _missing(result, getattr(ctx.get_item("instance"), "_missing_key", None)) else 1
    except Exception:
        log.debug("the cache's result could not be counted", exc_info=True)
    ctx.get_item("internal_context").set_tag("db.row_count", hits)


def _missing(value: Any, sentinel: Any) -> bool:
    # A collection is a hit without being compared: its ``==`` may answer element-wise.
    return value is None or (not isinstance(value, Iterable) and bool(value == sentinel))


def _wrap_databases(django: ModuleType, publisher: Publisher) -> None:
    """Django's cursor wrapper publishes ``django.execute`` unless the driver below is traced already (by
    its own integration, here or in ddtrace): that span is the query's, as under ddtrace."""
    from django.db.backends.utils import CursorWrapper

    for method in ("execute", "executemany", "callproc"):
        rewrite = None if method == "callproc" else _commented
        event = Event("django.execute", _query(method), rewrite=rewrite, done=_rowcount, exclusive=_connection)
        publisher.wrap(CursorWrapper, method, traced(event))


def _connection(cursor: Any) -> Any:
    return cursor.db


def _query(method: str) -> Callable[[Any, Args, Kwargs], Optional[Dict[str, Any]]]:
    def build(cursor: Any, args: Args, kwargs: Kwargs) -> Optional[Dict[str, Any]]:
        driver_cursor = cursor.cursor
        if is_wrapped(driver_cursor) or is_wrapped(getattr(type(driver_cursor), method, None)):
            return None
        pin, vendor = _connection_pin(cursor.db)
        query = argument(args, kwargs, 0, "procname" if method == "callproc" else "sql")
        db = DatabaseContext(vendor, query=query, dbm_injectable=method != "callproc", tags=pin.tags)
        return {"db_context": db, "pin": pin}

    return build


def _connection_pin(connection: Any) -> Tuple[Any, str]:
    """The connection's service and tags, as ddtrace names them, computed once per connection."""
    pin = dd.Pin.get_from(connection)
    vendor = getattr(connection, "vendor", "db")
    if pin is None:
        alias = getattr(connection, "alias", "default")
        tags = {"django.db.vendor": vendor, "django.db.alias": alias}
        settings = getattr(connection, "settings_dict", {})
        for tag, key in CONNECTION_TAGS:
            if key in settings:
                value = settings[key]
                tags[tag] = str(value) if isinstance(value, (int, float)) else value
        service = dd.integration_setting("django", "database_service_name") or dd.schematize_service_name(
            f"{dd.integration_setting('django', 'database_service_name_prefix') or ''}{alias}db"
        )
        pin = dd.Pin(service, tags=tags)
        pin.onto(connection)
    return pin, dd.normalize_vendor(vendor)


def _commented(ctx: dd.ExecutionContext, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
    commented = ctx.get_item("db_context").commented_query
    return (args, kwargs) if commented is None else replace_argument(args, kwargs, 0, "sql", commented)


def _rowcount(ctx: dd.ExecutionContext, result: Any) -> None:
    cursor = ctx.get_item("instance")
    ctx.get_item("db_context").rowcount = getattr(cursor, "rowcount", None)
