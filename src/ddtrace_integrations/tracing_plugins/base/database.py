"""DatabasePlugin: query spans, connection tags, row counts and DBM comment propagation."""

from __future__ import annotations

import functools
from typing import Any
from typing import ClassVar
from typing import Dict
from typing import Optional

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.outbound import OutboundPlugin
from ddtrace_integrations.tracing_plugins.base.outbound import host_tags
from ddtrace_integrations.tracing_plugins.base.storage import StoragePlugin

log = dd.get_logger(__name__)

_INJECTING_MODES = ("service", "full", "dynamic_service")
_DBM_MARKERS = ("ddps=", "dddbs=")


class DatabasePlugin(StoragePlugin):
    type = "sql"
    measured = True
    peer_service_precursors = ("db.name",)
    # The span name under schema v0; v1 names it "{system}.query".
    query_name: ClassVar[str] = ""
    # Connect spans learn the address only when the call returns.
    tags_at_finish: ClassVar[bool] = False
    # ddtrace's DB-API and asyncpg integrations give the query as the resource as it is, "" included.
    keep_empty_resource = True

    @functools.cached_property
    def query_span_name(self) -> str:
        """``query_name`` under the span attribute schema, which ddtrace reads once, when it starts."""
        return dd.schematize_database_operation(self.query_name, database_provider=self.system)

    def operation_name(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> str:
        return self.query_span_name

    def resource(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> Any:
        return db.query

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        items = dd.context_items(ctx)
        db: DatabaseContext = items["db_context"]
        span = self.start_span(
            ctx,
            self.operation_name(ctx, db),
            resource=self.resource(ctx, db),
            tags=connection_tags(db.host, db.port, db.user, db.database),
        )
        if span is None:
            return
        pin = items["pin"]
        if pin.tags:
            dd.set_tags(span, pin.tags)
        if db.tags:
            dd.set_tags(span, db.tags)
        if db.dbm_injectable and dd.dbm_config.propagation_mode in _INJECTING_MODES:
            self.propagate_dbm(span, db)

    def finish_span(self, ctx: dd.ExecutionContext, span: dd.Span, exc_info: ExcInfo) -> None:
        db: DatabaseContext = dd.context_items(ctx)["db_context"]
        if self.tags_at_finish:
            self.set_database_tags(span, db)
        rowcount = db.rowcount
        if rowcount is None and db.cursor is not None:
            rowcount = getattr(db.cursor, "rowcount", None)
        if rowcount is not None:  # stored as ddtrace's DB-API layer stores it, whatever its type
            dd.set_attribute(span, "db.row_count", rowcount)
        # StoragePlugin's reads a StorageContext. Named rather than ``super()``: before CPython 3.12 that builds a
        # super object and looks the method up through it on every span.
        OutboundPlugin.finish_span(self, ctx, span, exc_info)

    def set_database_tags(self, span: dd.Span, db: DatabaseContext) -> None:
        dd.set_attributes(span, connection_tags(db.host, db.port, db.user, db.database))
        if db.tags:
            dd.set_tags(span, db.tags)

    # --- DBM: the comment ddtrace writes, handed back to the publisher through the context ---

    def propagate_dbm(self, span: dd.Span, db: DatabaseContext) -> None:
        mode = dd.dbm_config.propagation_mode
        if mode not in _INJECTING_MODES or not db.dbm_injectable or self.is_commented(db.query):
            return
        if isinstance(db.query, (str, bytes)) and not db.query.strip():
            return  # a comment would turn an empty query, an error for the server, into a valid statement
        # a statement cached by its text gets the service comment only: a traceparent would make every
        # execution a new statement for the server
        with_trace = mode == "full" and not db.prepared
        if with_trace and span.context.sampling_priority is None:
            dd.tracer.sample(dd.local_root(span))  # the comment must carry the final sampling decision
        base_hash = dd.base_hash() if self._inject_base_hash(mode) else None
        commented = self.prepend_comment(self.dbm_comment(span, with_trace, base_hash), db.query)
        if commented is None:
            log.debug("DBM comment skipped: unsupported query type %s", type(db.query).__name__)
            return
        db.commented_query = commented
        if with_trace:
            dd.set_attribute(span, "_dd.dbm_trace_injected", "true")
        if base_hash:
            dd.set_attribute(span, dd.PROPAGATED_HASH, base_hash)

    def dbm_comment(self, span: dd.Span, with_trace: bool, base_hash: Optional[str]) -> str:
        db_name = span.get_tag("db.name")
        service = db_name if db_name and dd.peer_service_config.set_defaults_enabled else span.service
        tags: Dict[str, Any] = {
            "ddps": dd.config.service,
            "dde": dd.config.env,
            "ddpv": dd.config.version,
            "dddbs": service,
            "dddb": db_name or None,
            "ddh": span.get_tag("out.host") or None,
            "ddprs": span.get_tag("peer.service") or None,
            "ddsh": base_hash,
        }
        if with_trace:
            tags["traceparent"] = dd.traceparent(span)
        comment = dd.generate_sql_comment(**tags)
        return comment.strip() + " " if comment else ""

    def prepend_comment(self, comment: str, query: Any) -> Any:
        """The query with the comment in front, or None for a query type that cannot carry one."""
        if isinstance(query, str):
            return comment + query
        if isinstance(query, bytes):
            return comment.encode() + query
        return None

    def is_commented(self, query: Any) -> bool:
        head = query[:512].decode(errors="replace") if isinstance(query, bytes) else str(query)[:512]
        return head.lstrip().startswith("/*") and any(m in head.split("*/", 1)[0] for m in _DBM_MARKERS)

    @staticmethod
    def _inject_base_hash(mode: str) -> bool:
        return mode == "dynamic_service" or (mode == "service" and bool(dd.dbm_config.inject_sql_basehash))


@functools.lru_cache(maxsize=256)
def connection_tags(
    host: Optional[str], port: Optional[int], user: Optional[str], database: Optional[str]
) -> Dict[str, Any]:
    """The tags of every query on one connection, built once per connection settings: never modify."""
    tags = dict(host_tags(host, port))
    if user:
        tags["db.user"] = user
    if database:
        tags["db.name"] = database
    return tags


class DbApiPlugin(DatabasePlugin):
    """Spans as ddtrace's DB-API layer makes them: the service is named at start, its source left to the tracer."""

    service_at_start = True
    tracer_service_source = True


class DatabaseConnectPlugin(DatabasePlugin):
    """Opening a connection, only with the integration's ``trace_connect``; named after the connect function."""

    operation = "connect"

    def on_start(self, ctx: dd.ExecutionContext) -> None:
        if dd.setting(self.integration_config, "trace_connect"):
            super().on_start(ctx)

    def operation_name(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> str:
        return db.method or "connect"


class DatabaseFetchPlugin(DatabasePlugin):
    """fetchone/fetchmany/fetchall: ``<query span name>.<method>``, resource the cursor's last query."""

    operation = "fetch"
    measured = False

    def operation_name(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> str:
        return f"{super().operation_name(ctx, db)}.{db.method}"


class DatabaseConnectionPlugin(DatabasePlugin):
    """Connection calls (commit, rollback): ``<vendor>.connection.<method>``, untyped, as ddtrace names them."""

    operation = "connection"
    type = None  # type: ignore[assignment]  # ddtrace gives connection spans no type
    measured = False

    def operation_name(self, ctx: dd.ExecutionContext, db: DatabaseContext) -> str:
        return f"{_vendor(type(dd.context_items(ctx).get('instance')))}.connection.{db.method}"


_vendors: Dict[type, str] = {}


def _vendor(cls: type) -> str:
    """The database ddtrace names a connection class's spans after: its top-level module, normalized by ddtrace
    (psycopg2 -> postgres, sqlite3 -> sqlite); worked out once per class."""
    vendor = _vendors.get(cls)
    if vendor is None:
        if len(_vendors) >= 256:  # classes made on the fly must not accumulate
            _vendors.clear()
        vendor = _vendors[cls] = dd.normalize_vendor(cls.__module__.split(".", 1)[0])
    return vendor


def dbapi_settings(name: str) -> Dict[str, Any]:
    """The optional-span switches of a DB-API integration, read from ``DD_<NAME>_TRACE_*`` as ddtrace does."""
    prefix = f"DD_{name.upper()}_TRACE_"
    return {
        "trace_fetch_methods": dd.env_flag(prefix + "FETCH_METHODS"),
        "trace_connect": dd.env_flag(prefix + "CONNECT"),
    }
