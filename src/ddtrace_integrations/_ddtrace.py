"""The one module that touches ddtrace internals: when ddtrace moves, only this file changes."""

from __future__ import annotations

import functools
import inspect
import operator
import sys
from types import ModuleType
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple

import wrapt
from ddtrace import config
from ddtrace._trace import _inferred_proxy
from ddtrace._trace._span_link import SpanLinkKind as _SpanLinkKind
from ddtrace._trace._span_pointer import _SpanPointerDirection
from ddtrace._trace._span_pointer import _SpanPointerDirectionName
from ddtrace._trace.pin import Pin
from ddtrace.constants import _SPAN_MEASURED_KEY as MEASURED_KEY
from ddtrace.constants import ERROR_MSG
from ddtrace.constants import ERROR_STACK
from ddtrace.constants import ERROR_TYPE
from ddtrace.constants import MANUAL_DROP_KEY
from ddtrace.constants import MANUAL_KEEP_KEY
from ddtrace.constants import SERVICE_KEY
from ddtrace.constants import SERVICE_VERSION_KEY
from ddtrace.constants import SPAN_KIND
from ddtrace.contrib.internal.trace_utils import _copy_trace_level_tags
from ddtrace.contrib.internal.trace_utils import int_service
from ddtrace.contrib.internal.trace_utils import set_http_meta
from ddtrace.contrib.internal.trace_utils import set_service_and_source
from ddtrace.ext import SpanLinkKind
from ddtrace.ext.net import TARGET_HOST
from ddtrace.ext.net import TARGET_PORT
from ddtrace.ext.sql import normalize_vendor
from ddtrace.internal import _service_state
from ddtrace.internal import core
from ddtrace.internal import process_tags
from ddtrace.internal.compat import is_valid_ip
from ddtrace.internal.constants import _SERVICE_SOURCE as SERVICE_SOURCE
from ddtrace.internal.constants import COMPONENT
from ddtrace.internal.constants import PROPAGATED_HASH
from ddtrace.internal.constants import SPAN_LINK_KIND
from ddtrace.internal.datastreams import data_streams_processor
from ddtrace.internal.datastreams.processor import DsmPathwayCodec
from ddtrace.internal.datastreams.utils import _calculate_byte_size
from ddtrace.internal.logger import get_logger
from ddtrace.internal.peer_service.processor import PeerServiceProcessor
from ddtrace.internal.sampling import _inherit_sampling_tags
from ddtrace.internal.schema import SCHEMA_VERSION
from ddtrace.internal.schema import SpanDirection
from ddtrace.internal.schema import schematize_cache_operation
from ddtrace.internal.schema import schematize_database_operation
from ddtrace.internal.schema import schematize_messaging_operation
from ddtrace.internal.schema import schematize_service_name
from ddtrace.internal.schema import schematize_url_operation
from ddtrace.internal.settings._config import INTEGRATION_CONFIGS
from ddtrace.internal.settings._database_monitoring import dbm_config
from ddtrace.internal.settings.integration import IntegrationConfig
from ddtrace.internal.settings.integration import _integration_env_var_id
from ddtrace.internal.settings.peer_service import _ps_config as peer_service_config
from ddtrace.internal.utils.formats import asbool
from ddtrace.propagation.http import HTTPPropagator
from ddtrace.trace import Context
from ddtrace.trace import Span
from ddtrace.trace import tracer
from ddtrace.vendor.packaging.specifiers import SpecifierSet
from ddtrace.vendor.packaging.version import Version
from ddtrace.vendor.sqlcommenter import generate_sql_comment

__all__ = [
    "COMPONENT",
    "MEASURED_KEY",
    "PROPAGATED_HASH",
    "SCHEMA_VERSION",
    "SPAN_KIND",
    "SPAN_LINK_KIND",
    "TARGET_HOST",
    "HTTPPropagator",
    "Pin",
    "Span",
    "SpanDirection",
    "asbool",
    "config",
    "core",
    "dbm_config",
    "generate_sql_comment",
    "get_logger",
    "int_service",
    "normalize_vendor",
    "peer_service_config",
    "schematize_cache_operation",
    "schematize_database_operation",
    "schematize_messaging_operation",
    "schematize_service_name",
    "schematize_url_operation",
    "set_http_meta",
    "set_service_and_source",
    "tracer",
]

log = get_logger(__name__)


# --- the publisher's hot path: a context and a module's pin, without the detours of the general-purpose API ---


_new_object = object.__new__


class ExecutionContext(core.ExecutionContext):
    """The hub's context as the publishers make it, with two fields of its own: ``span``, the plugin's span (the
    design's ``ctx.span``), and ``held``, what an exclusive call holds (``publisher.is_held``). Fields, not items:
    a context's items live in a dict sized for five, and a sixth and seventh would make every call pay its resize,
    the largest allocation of a traced call. Listeners still receive an ``ExecutionContext``."""

    __slots__ = ("held", "span")

    span: Any
    held: Any


def new_context(
    identifier: str, data: Dict[str, Any], dispatch_end_event: bool = True, held: Any = None
) -> ExecutionContext:
    """What ``core.context_with_data(identifier, **data)`` makes, a child of the current context, holding
    ``data`` itself as its items: the keyword form copies them twice, on every traced call. Its fields are set
    here, where ``__init__`` (a keyword-collecting Python call) would cost a frame and a dict more per call."""
    ctx: ExecutionContext = _new_object(ExecutionContext)
    ctx.identifier = identifier
    ctx._data = data
    ctx._event = None
    ctx._suppress_exceptions = None
    ctx._parent = CURRENT_CONTEXT.get()
    ctx._token = None
    ctx._dispatch_end_event = dispatch_end_event
    ctx._end_event_dispatched = False
    ctx.span = None
    ctx.held = held
    return ctx


def span_of(ctx: Optional[core.ExecutionContext]) -> Any:
    """The span of a context found by walking the hub (a publisher's, or one ddtrace or another product made)."""
    return getattr(ctx, "span", None)


# A context's items, read in one C call (``ctx.get_item`` is a Python method wrapping a dict lookup): for the
# few items every span of a hot path reads.
context_items: Callable[[core.ExecutionContext], Dict[str, Any]] = operator.attrgetter("_data")
# The hub's current context: a publisher entering and leaving a context itself sets and resets it, as
# ``ExecutionContext.__enter__``/``__exit__`` do, so that ddtrace's own lookups (``find_item``) see it.
CURRENT_CONTEXT = core._CURRENT_CONTEXT


def find_pin(instance: Any, source: Any = None) -> Optional[Pin]:
    """The instance's own pin (a user's ``Pin.override``), else the pin of ``source`` (the patched module). A
    module's pin is read from its namespace: ``Pin.get_from`` first asks for ``__getddpin__``, a miss that costs
    a formatted AttributeError on every traced call."""
    if instance is not None:  # (a publisher with no instance to ask passes None: no attribute miss on None)
        if getattr(instance, PIN_ATTR, None) is not None:
            return Pin.get_from(instance)
        forwards = _forwarding.get(type(instance))
        if forwards is None:
            forwards = _may_forward_pin(type(instance))
        if forwards and hasattr(instance, "__getddpin__"):
            return Pin.get_from(instance)
    if type(source) is ModuleType:
        namespace = source.__dict__
        pin = namespace.get(PIN_ATTR)
        if pin is not None and pin._target == id(source) and "__getddpin__" not in namespace:
            return pin
        return Pin.get_from(source)
    if source is not None and (getattr(source, PIN_ATTR, None) is not None or hasattr(source, "__getddpin__")):
        return Pin.get_from(source)
    return None


_forwarding: Dict[type, bool] = {}


def _may_forward_pin(cls: type) -> bool:
    """Whether instances of ``cls`` may answer ``__getddpin__`` (a pin holder of its own, or a proxy that forwards
    attribute lookups, such as wrapt's): asked once per class (``_forwarding``), where asking the instance costs an
    attribute miss on every traced call."""
    if len(_forwarding) >= 256:  # classes made on the fly must not accumulate
        _forwarding.clear()
    answer = _forwarding[cls] = hasattr(cls, "__getddpin__") or hasattr(cls, "__getattr__")
    return answer


PIN_ATTR = "_datadog_pin"


def integration_config(name: str, defaults: Optional[Dict[str, Any]] = None) -> Any:
    """The ``ddtrace.config.<name>`` object, registered with ddtrace's defaults when we are first.

    A name ddtrace does not know (a third-party integration) gets its own IntegrationConfig, reachable as
    ``ddtrace.config.<name>`` and reading ``DD_<NAME>_SERVICE`` like any other.
    """
    if name in INTEGRATION_CONFIGS:
        config._add(name, dict(defaults or {}))
    elif name not in config._integration_configs:
        config._integration_configs[name] = IntegrationConfig(config, name, **(defaults or {}))
    return getattr(config, name)


def registered_config(name: str) -> Any:
    """``ddtrace.config.<name>`` if registered, else None (a dict lookup)."""
    return config._integration_configs.get(name)


# ``setting(int_config, key, default=None)``: one entry of an IntegrationConfig, read as the dict it is. Its own
# ``get`` is found through a class with ``__getattr__`` (AttrDict), which doubles the cost of every read.
setting = dict.get


def integration_setting(name: str, key: str) -> Any:
    """One setting of ``ddtrace.config.<name>`` read as a dict entry (attribute access is slow), None if absent."""
    integration = config._integration_configs.get(name)
    return None if integration is None else setting(integration, key)


# ``pin.service`` without the property: ``pin_config(pin).get("service_name")``, two C calls, read on every span.
pin_config: Callable[[Pin], Dict[str, Any]] = operator.attrgetter("_config")


def http_client_settings(name: str) -> Dict[str, Any]:
    """An HTTP client integration's settings, read from ``DD_<NAME>_*`` as ddtrace's clients read them."""
    prefix = f"DD_{_integration_env_var_id(name)}_"
    return {
        "distributed_tracing": env_flag(prefix + "DISTRIBUTED_TRACING", True),
        "split_by_domain": env_flag(prefix + "SPLIT_BY_DOMAIN"),
        "default_http_tag_query_string": config._http_client_tag_query_string,
    }


def otlp_export(request: Any) -> bool:
    """Whether ``request`` (its ``url`` and ``headers``) posts OpenTelemetry OTLP exports, which ddtrace's requests
    integration leaves untraced (its own exporters would otherwise trace themselves)."""
    if not config._otel_enabled:
        return False
    from ddtrace.contrib.internal.requests.connection import is_otlp_export

    return bool(is_otlp_export(request))


def env_flag(var: str, default: bool = False) -> bool:
    """A boolean ``DD_*`` setting read through ddtrace's settings sources."""
    from ddtrace.internal.settings import env

    return asbool(env.get(var, default))


def env_text(var: str, default: str) -> str:
    """A ``DD_*`` string setting read through ddtrace's settings sources."""
    from ddtrace.internal.settings import env

    return str(env.get(var, default))


def env_int(var: str, default: int) -> int:
    """A whole-number ``DD_*`` setting read through ddtrace's settings sources. A value that is not one is
    reported (one warning naming the variable) and ``default`` used: ddtrace's own integrations fail to import
    then, which would leave the library untraced for a typo."""
    from ddtrace.internal.settings import env

    value = env.get(var)
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        log.warning("ddtrace-integrations: %s=%r is not a whole number; using %d", var, value, default)
        return default


def enabled_by_env(name: str) -> Optional[bool]:
    """``DD_TRACE_<NAME>_ENABLED`` as ddtrace reads it, None when unset."""
    from ddtrace.internal.settings import env

    value = env.get(f"DD_TRACE_{_integration_env_var_id(name)}_ENABLED")
    return None if value is None else asbool(value)


def patch_modules_env() -> Dict[str, bool]:
    """``DD_PATCH_MODULES`` (``lib:bool,...``) as ddtrace parses it."""
    from ddtrace.internal.settings import env
    from ddtrace.internal.utils.formats import parse_tags_str

    return {k: asbool(v) for k, v in parse_tags_str(env.get("DD_PATCH_MODULES")).items()}


def listened_context(name: str) -> bool:
    """Whether the event hub already has a listener for the contexts named ``name`` (``context.started.{name}``
    or ``context.ended.{name}``), e.g. one of ddtrace's own handlers (its ``trace_handlers.listen()`` registers
    them when ddtrace is imported)."""
    return core.has_listeners(f"context.started.{name}") or core.has_listeners(f"context.ended.{name}")


def tracing_enabled() -> bool:
    return bool(config._tracing_enabled)


def version_matches(version: str, spec: str) -> bool:
    """``version`` satisfies ``spec`` (a PEP 440 specifier, or "*" for any version)."""
    if spec == "*":
        return True
    try:
        return Version(version) in SpecifierSet(spec)
    except Exception:
        return False


# Span's attribute setter without the public set_tag's checks: what ddtrace's integrations use.
set_attribute = Span._set_attribute


def server_error_status(status: Any) -> bool:
    """A response status the server side counts as an error (``DD_TRACE_HTTP_SERVER_ERROR_STATUSES``)."""
    return isinstance(status, int) and config._http_server.is_error_code(status)


def is_remote_parent(context: Any) -> bool:
    """An extracted context worth continuing: it names a trace (with ids a span can hold) or carries baggage.

    ddtrace's extraction checks the trace id's range but not the parent id's: a header such as
    ``x-datadog-parent-id: -5`` would make the span (or its link) fail when it is sent or linked."""
    if context.trace_id:
        return _valid_ids(context.trace_id, context.span_id)
    return bool(context._baggage)


def _valid_ids(trace_id: Any, span_id: Any) -> bool:
    return 0 < trace_id < 1 << 128 and (span_id is None or 0 <= span_id < 1 << 64)


def record_error(span: Span, exc_type: Any, error: Any, traceback: Any) -> None:
    """``Span.set_exc_info``, also for an error that was handed over rather than raised (a failed
    delivery reported through a future's callback has no traceback, which ddtrace would ignore)."""
    if traceback is not None:
        span.set_exc_info(exc_type, error, traceback)
        return
    span.error = 1
    span._set_attribute("error.type", f"{exc_type.__module__}.{exc_type.__qualname__}")
    span._set_attribute("error.message", str(error))


def link_span(span: Span, context: Any) -> None:
    """Link ``span`` to an extracted context, and to the other contexts extraction found beside it
    (conflicting propagation styles), which ``Span.link_span`` alone would drop."""
    span.link_span(context)
    for link in context._span_links:
        if not _valid_ids(link.trace_id, link.span_id):
            continue
        span.set_link(
            trace_id=link.trace_id,
            span_id=link.span_id,
            tracestate=link.tracestate,
            flags=link.flags,
            attributes=link.attributes,
        )


def data_streams() -> Any:
    """ddtrace's Data Streams processor, or None unless ``DD_DATA_STREAMS_ENABLED`` is set."""
    return data_streams_processor() if config._data_streams_enabled else None


def payload_size(*parts: Any) -> int:
    """Bytes of a message's parts (text, bytes, or a mapping of headers), as ddtrace's DSM counts them."""
    return sum(_calculate_byte_size(part) for part in parts)


def checkpoint_sent(processor: Any, edge_tags: List[str], size: int, span: Span) -> Dict[str, str]:
    """A pathway checkpoint for a message being sent; returns the header that carries the pathway on."""
    headers: Dict[str, str] = {}
    DsmPathwayCodec.encode(processor.set_checkpoint(edge_tags, payload_size=size, span=span), headers)
    return headers


def checkpoint_received(processor: Any, carrier: Dict[str, str], edge_tags: List[str], size: int, span: Span) -> None:
    """A pathway checkpoint for a received message, continuing the pathway its headers carry."""
    DsmPathwayCodec.decode(carrier, processor).set_checkpoint(edge_tags, payload_size=size, span=span)


def traceparent(span: Span) -> str:
    return span.context._traceparent


def base_hash() -> Optional[str]:
    value = process_tags.base_hash
    return str(value) if value else None


def register_entrypoint(fn: Callable) -> None:
    """Tell ddtrace's code-origin product that ``fn`` (a view) is where requests enter the application."""
    core.dispatch("service_entrypoint.patch", (inspect.unwrap(fn),))


def local_root(span: Span) -> Span:
    return span._local_root


# --- inferred proxy spans: the API gateway a request came through, from the headers it adds ---

INFERRED_PROXY_HEADER = "x-dd-proxy"
INFERRED_PROXIES = frozenset(_inferred_proxy.supported_proxies)


def inferred_proxy_services_enabled() -> bool:
    """``DD_TRACE_INFERRED_PROXY_SERVICES_ENABLED``, read per request as ddtrace reads it (an attribute)."""
    return bool(config._inferred_proxy_services_enabled)


def start_inferred_proxy_span(headers: Mapping[str, str], parent: Optional[Context]) -> Optional[Span]:
    """The proxy's span, activated and starting when the proxy received the request, as ddtrace makes it;
    None unless the headers name a supported proxy and a start time in whole milliseconds."""
    proxy = _inferred_proxy.extract_inferred_proxy_context(_inferred_proxy.normalize_headers(headers))
    if proxy is None:
        return None
    try:
        start_ns = int(proxy.request_time) * 1_000_000
    except ValueError:  # ddtrace would raise after starting the span, leaving it open
        log.debug("invalid x-dd-proxy-request-time-ms header: %r", proxy.request_time)
        return None
    info = _inferred_proxy.supported_proxies[proxy.system_name]
    span = tracer.start_span(
        info.span_name,
        child_of=parent,
        service=proxy.domain_name or config._get_service(),
        resource=f"{proxy.method or ''} {proxy.resource_path or proxy.path or ''}",
        span_type="web",
        activate=True,
    )
    span.start_ns = start_ns
    _inferred_proxy.set_inferred_proxy_span_tags(span, proxy, info)
    return span


def finish_inferred_proxy_span(proxy: Span, request: Optional[Span]) -> None:
    """The proxy answered what the application answered: the request span's status and error, as ddtrace
    copies them up; then the proxy's span ends."""
    if request is not None:
        status = request._get_attribute("http.status_code")
        if status:
            proxy._set_attribute("http.status_code", status)
        if request.error == 1:
            proxy.error = 1
            for key in (ERROR_MSG, ERROR_TYPE, ERROR_STACK):
                value = request._get_attribute(key)
                if value is not None:
                    proxy._set_attribute(key, value)
    proxy.finish()


# --- peer.service: ddtrace's trace processor must not overwrite what a v2 plugin already decided ---

_SOURCE_TAG = PeerServiceProcessor(peer_service_config)._config.source_tag_name


def _keep_existing_source(wrapped: Callable, instance: Any, args: tuple, kwargs: dict) -> Any:
    span = args[0] if args else kwargs.get("span")
    if span is not None and span.get_tag(_SOURCE_TAG):
        return None
    return wrapped(*args, **kwargs)


def guard_peer_service_processor() -> None:
    """Make ddtrace's PeerServiceProcessor skip spans that already carry ``_dd.peer.service.source``."""
    method = PeerServiceProcessor._update_peer_service_tags
    if not isinstance(method, wrapt.FunctionWrapper):
        wrapt.wrap_function_wrapper(PeerServiceProcessor, "_update_peer_service_tags", _keep_existing_source)


# --- ddtrace's own integration for a library v2 owns must stay inactive ---

_claimed: Dict[str, Callable[[], None]] = {}


def _contrib_module(name: str) -> str:
    return f"ddtrace.contrib.internal.{name}.patch"


def _neutralize(module: Any, patched_before: bool = False) -> None:
    """Replace the contrib module's ``patch`` with a no-op; undo its patching only if it ran before us.

    The no-op goes in first: a contrib ``unpatch`` may import the libraries, whose import hooks call
    ``patch`` again (ddtrace's psycopg imports psycopg2 this way).
    """
    name = module.__name__.split(".")[-2]
    if name not in _claimed or getattr(module.patch, "_ddtrace_integrations_noop", False):
        return
    original = module.patch

    def patch_owned_by_v2() -> None:
        log.debug("ddtrace's %s integration is inactive: ddtrace-integrations traces this library", name)

    patch_owned_by_v2._ddtrace_integrations_noop = True  # type: ignore[attr-defined]
    module.patch = patch_owned_by_v2

    def restore() -> None:
        module.patch = original

    _claimed[name] = restore
    if patched_before:
        try:
            module.unpatch()
        except Exception:
            log.debug("ddtrace's %s integration could not be unpatched", name, exc_info=True)


def claim_ddtrace_integration(name: str) -> None:
    """Keep ddtrace's integration ``name`` from patching, whether it was patched before or after us."""
    if name in _claimed:
        return
    _claimed[name] = lambda: None
    contrib = _contrib_module(name)
    if contrib in sys.modules:
        _neutralize(sys.modules[contrib], patched_before=True)
    else:
        wrapt.register_post_import_hook(_neutralize, contrib)


def release_ddtrace_integration(name: str) -> None:
    restore = _claimed.pop(name, None)
    if restore is not None:
        restore()


# --- the span hot path: tags in one native call; what many spans share, worked out once per set of inputs ---

# ``ddtrace.config``'s integration settings by name: the dict itself, read on every span (registered_config is
# the same lookup behind a call).
registered_configs: Dict[str, Any] = config._integration_configs

set_attributes = Span._set_attributes  # set_attribute for many keys at once: values we built, of native types

# Keys Span.set_tag does more for than store the value: sampling decisions, the span's service, the version,
# the measured flag, a port given as text.
_SET_TAG_SPECIAL_KEYS = frozenset(
    (MANUAL_KEEP_KEY, MANUAL_DROP_KEY, SERVICE_KEY, SERVICE_VERSION_KEY, MEASURED_KEY, TARGET_PORT)
)
_STORED_AS_IS = frozenset((str, int, float))  # exact types: set_tag turns a bool (an int) into text
_TEXT = frozenset((str,))


def set_tags(span: Span, tags: Dict[str, Any]) -> None:
    """``span.set_tags(tags)``, in one native call when set_tag would store every tag as it is (text keys;
    str, int or float values; no key set_tag handles specially): set_tag costs about half a microsecond a tag."""
    if (
        _SET_TAG_SPECIAL_KEYS.isdisjoint(tags)
        and _STORED_AS_IS.issuperset(map(type, tags.values()))
        and _TEXT.issuperset(map(type, tags))
    ):
        span._set_attributes(tags)
    else:
        span.set_tags(tags)


_MEMO_SIZE = 256


def _remember(memo: Dict[Any, Any], key: Any, value: Any) -> Any:
    """Store in a bounded memo: inputs that never repeat make it start over rather than grow."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


_valid_ips: Dict[str, bool] = {}


def valid_ip(address: Any) -> bool:
    """ddtrace's ``is_valid_ip``, remembered per address: parsing one (``ipaddress``) costs ~20k instructions, and a
    server sees the same clients again."""
    if type(address) is not str:
        return is_valid_ip(address)
    valid = _valid_ips.get(address)
    return _remember(_valid_ips, address, is_valid_ip(address)) if valid is None else valid


_internal_services: Dict[Any, Optional[str]] = {}


def internal_service(pin: Optional[Pin], int_config: Any) -> Optional[str]:
    """``int_service(pin, int_config)``, memoised on every setting it reads: it reads IntegrationConfig
    attributes, which cost microseconds, on every span of a web request."""
    settings = config
    key = (
        pin._config.get("service_name") if pin is not None else None,
        setting(int_config, "service"),
        setting(int_config, "service_name"),
        setting(int_config, "_default_service"),
        settings.service,
        settings._inferred_base_service,
        settings._is_user_provided_service,
    )
    try:
        return _internal_services[key]
    except KeyError:
        return _remember(_internal_services, key, int_service(pin, int_config))


class _ServiceRecorder:
    """Stands in for a span, to learn what ``set_service_and_source`` would set on one."""

    __slots__ = ("service", "source")

    def __init__(self) -> None:
        self.service: Optional[str] = None
        self.source: Optional[str] = None

    def set_tag(self, key: str, value: str) -> None:
        if key == SERVICE_SOURCE:
            self.source = value


_service_sources: Dict[Any, Tuple[Optional[str], Optional[str]]] = {}


def service_and_source(service: Optional[str], int_config: Any) -> Tuple[Optional[str], Optional[str]]:
    """What ``set_service_and_source(span, service, int_config)`` sets on a span: the service (None: the span's
    is left alone) and ``_dd.svc_src`` (None: no tag), memoised on every setting it reads."""
    mapping: Dict[Any, str] = config.service_mapping
    key = (
        service,
        int_config.integration_name,
        mapping.get(service),
        setting(int_config, "split_by_domain", False),
        setting(int_config, "_default_service"),
        _service_state._is_user_provided_service,  # what is_user_provided_service() answers, without a call
    )
    try:
        return _service_sources[key]
    except KeyError:
        recorder = _ServiceRecorder()
        set_service_and_source(recorder, service, int_config)  # type: ignore[arg-type]
        return _remember(_service_sources, key, (recorder.service, recorder.source))


# ddtrace's Config reads every attribute through a Python ``__getattr__`` hook (about three times a plain read);
# the settings below are plain entries of its instance dict, set when it is made, read there directly.
_config_attrs: Dict[str, Any] = vars(config)


def service_settings(pin: Optional[Pin], int_config: Any) -> Tuple[Any, ...]:
    """Every setting a span's service and ``_dd.svc_src`` are worked out from (``int_service``, an outbound
    service's precedence, ``set_service_and_source``), read in one step: the key under which a plugin works them
    out once. The integration's name is left out: a plugin reads the one config registered under its own."""
    attrs = _config_attrs
    mapping: Dict[Any, str] = attrs["service_mapping"]
    return (
        pin._config.get("service_name") if pin is not None else None,
        setting(int_config, "service"),
        setting(int_config, "service_name"),
        setting(int_config, "_default_service"),
        setting(int_config, "split_by_domain", False),
        attrs["service"],
        attrs["_inferred_base_service"],
        _service_state._is_user_provided_service,
        tuple(mapping.items()) if mapping else None,
    )


# ``peer_service_config.set_defaults_enabled`` as that property caches it, in one C call (asked per span): None
# until ddtrace first read the setting, then ask the property.
peer_service_defaults: Callable[[], Optional[bool]] = functools.partial(
    getattr, peer_service_config, "_set_defaults_enabled"
)


def parent_of(span: Span) -> Any:
    """The span or context ``span`` was started as a child of (None for a root span)."""
    return span._parent if span._parent is not None else span._parent_context


# --- websocket messages: ddtrace's links to the handshake and the trace-level state they carry over ---

LINK_EXECUTED = {SPAN_LINK_KIND: SpanLinkKind.EXECUTED}
LINK_RESUMING = {SPAN_LINK_KIND: SpanLinkKind.RESUMING}
# ddtrace's span pointer attributes for a message received (upstream) or sent (downstream)
POINTER_UP = {"link.name": _SpanPointerDirectionName.UPSTREAM, "ptr.dir": _SpanPointerDirection.UPSTREAM}
POINTER_DOWN = {"link.name": _SpanPointerDirectionName.DOWNSTREAM, "ptr.dir": _SpanPointerDirection.DOWNSTREAM}
POINTER_KIND = _SpanLinkKind.SPAN_POINTER.value
# A span in a trace of its own takes the sampling decision, baggage and origin of the span it continues.
copy_trace_level_tags = _copy_trace_level_tags


def inherit_sampling(span: Span, source: Span) -> None:
    """Tag ``span`` as taking the sampling decision of ``source``'s local root."""
    _inherit_sampling_tags(span, source._local_root)


def has_remote_parent(span: Span) -> bool:
    """Whether ``span`` continues a context extracted from a caller."""
    parent = span._parent_context
    return parent is not None and bool(parent._is_remote)
