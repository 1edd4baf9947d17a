"""Publisher helpers: wrap a library callable so that it publishes ``{package}.{operation}`` around the call.

A publisher knows the library, never the tracer: it builds typed contexts, hands them to the event hub,
and applies what the plugins hand back (a commented query, propagation headers). When nothing
listens the wrapper costs one ``has_listeners`` check and calls straight through.
"""

from __future__ import annotations

import functools
import inspect
import sys
from types import FunctionType
from types import MethodDescriptorType
from types import ModuleType
from typing import Any
from typing import AsyncIterator
from typing import Callable
from typing import Dict
from typing import Iterator
from typing import List
from typing import Optional
from typing import Tuple
from typing import Type

import wrapt

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations.tracing_plugins.base.events import ExcInfo
from ddtrace_integrations.tracing_plugins.base.events import InternalContext

log = dd.get_logger(__name__)

Args = Tuple[Any, ...]
Kwargs = Dict[str, Any]
Build = Callable[[Any, Args, Kwargs], Optional[Dict[str, Any]]]
Rewrite = Callable[[dd.ExecutionContext, Args, Kwargs], Tuple[Args, Kwargs]]
Done = Callable[[dd.ExecutionContext, Any], None]
Wrapper = Callable[[Any, Any, Args, Kwargs], Any]

_NO_RESULT = object()


class Event:
    """One published operation.

    ``build(instance, args, kwargs)`` returns the context items (typed contexts) or None to skip;
    ``rewrite(ctx, args, kwargs)`` returns the arguments to call with after the plugins ran;
    ``done(ctx, result)`` records what the call returned (``result`` is None when it raised).
    ``deferred_end``: the context's end is dispatched later, by ``dispatch_ended_event`` (a WSGI response
    ends when the server closes it, a produced message when the broker acknowledges it). Plugins hear
    ``context.returned.{name}`` when such a call returns, and the end at once if it raised.
    ``exclusive(instance)`` names the object a call holds while it runs (e.g. its connection): exclusive
    calls nested on the same object publish nothing, so a driver's ``callproc`` or ``executemany``
    running its own ``execute`` stays one span. The context holds it (``ctx.held``), the call makes that
    context current anyway: a context variable of its own would cost a second set and reset per call.
    Each runs guarded: a failure logs at debug level and the call proceeds untraced or unchanged.
    """

    __slots__ = (
        "build",
        "deferred_end",
        "done",
        "ended",
        "exclusive",
        "name",
        "pin_source",
        "returned",
        "rewrite",
        "started",
    )

    def __init__(
        self,
        name: str,
        build: Build,
        *,
        pin_source: Optional[Any] = None,
        rewrite: Optional[Rewrite] = None,
        done: Optional[Done] = None,
        exclusive: Optional[Callable[[Any], Any]] = None,
        deferred_end: bool = False,
    ) -> None:
        self.name = name
        self.deferred_end = deferred_end
        self.started = "context.started." + name
        self.ended = "context.ended." + name
        self.returned = "context.returned." + name
        self.build = build
        self.pin_source = pin_source
        self.rewrite = rewrite
        self.done = done
        self.exclusive = exclusive

    def context(self, instance: Any, args: Args, kwargs: Kwargs) -> Optional[dd.ExecutionContext]:
        """The context to publish (None: call through untraced).

        Its items are the dict ``build`` returned, completed with the pin and the call (``instance``, ``args``,
        ``kwargs``): one dict per call, handed to the event hub as it is."""
        try:
            items = self.build(instance, args, kwargs)  # first: a builder may skip the call before any lookup
            if items is None:
                return None
            held = None
            if self.exclusive is not None:
                held = self.exclusive(instance)
                if held is not None and is_held(held):
                    return None
            if items.get("pin") is None:  # build may name its own
                items["pin"] = find_pin(instance, self.pin_source)
            items["instance"], items["args"], items["kwargs"] = instance, args, kwargs
            return dd.new_context(self.name, items, not self.deferred_end, held)
        except Exception:
            log.debug("%s: not traced, the call's data could not be read", self.name, exc_info=True)
            return None

    def arguments(self, ctx: dd.ExecutionContext, args: Args, kwargs: Kwargs) -> Tuple[Args, Kwargs]:
        if self.rewrite is None:
            return args, kwargs
        try:
            return self.rewrite(ctx, args, kwargs)
        except Exception:
            log.debug("%s: arguments left unchanged", self.name, exc_info=True)
            return args, kwargs

    def finish(self, ctx: dd.ExecutionContext, result: Any) -> None:
        if self.done is not None:
            try:
                self.done(ctx, None if result is _NO_RESULT else result)
            except Exception:
                log.debug("%s: result not recorded", self.name, exc_info=True)
                if self.deferred_end and result is not _NO_RESULT:  # done arranges the end: end it now instead
                    ctx.dispatch_ended_event()
        if self.deferred_end and result is not _NO_RESULT and dd.core.has_listeners(self.returned):
            dd.core.dispatch(self.returned, (ctx,))


def is_held(obj: Any) -> bool:
    """Whether a call running now (the current context or one it runs inside) holds ``obj`` exclusively."""
    ctx: Any = _current.get()
    while ctx is not None:
        if getattr(ctx, "held", None) is obj:  # (contexts ddtrace made have no ``held``)
            return True
        ctx = ctx._parent
    return False


find_pin = dd.find_pin  # the instance's own pin, else the patched module's (read in the ddtrace seam)


_NO_EXCEPTION: Tuple[None, None, None] = (None, None, None)
_current = dd.CURRENT_CONTEXT
_dispatch = dd.core.dispatch


# The wrappers below enter and leave the context themselves, as ``with ctx`` would (the current context set,
# ``context.started``, then ``context.ended`` with the exception, the current context reset), without the
# three Python calls of ExecutionContext's ``__init__``/``__enter__``/``__exit__`` and the event names those
# build on every call.


def traced(event: Event, unbound: bool = False, checked: bool = False) -> Wrapper:
    """Wrapper for a plain (sync) callable. Nothing is looked up before the one listener check. ``unbound``:
    ``wrapped`` is a class's function, called with ``instance`` first (``traced_method``: no bound method made per
    call). ``checked``: its caller asked for the listeners already (``traced_method``), the wrapper does not again.

    The current context is restored by setting what it was (the new context's parent) rather than by ``reset``
    with the token ``set`` returned: a sync call ends in the context it started in, and the token would be one more
    object alive for the whole call."""
    started, ended, has_listeners, context = event.started, event.ended, dd.core.has_listeners, event.context
    rewrite, done, deferred = event.rewrite, event.done, event.deferred_end

    def wrapper(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if not checked and not has_listeners(started):
            return wrapped(instance, *args, **kwargs) if unbound else wrapped(*args, **kwargs)
        ctx = context(instance, args, kwargs)
        if ctx is None:
            return wrapped(instance, *args, **kwargs) if unbound else wrapped(*args, **kwargs)
        result = _NO_RESULT
        exc_info: ExcInfo = _NO_EXCEPTION
        _current.set(ctx)
        try:  # a BaseException out of a listener still ends the context and resets what was set
            _dispatch(started, (ctx,))
            if rewrite is not None:
                try:
                    args, kwargs = rewrite(ctx, args, kwargs)
                except Exception:
                    log.debug("%s: arguments left unchanged", event.name, exc_info=True)
            result = wrapped(instance, *args, **kwargs) if unbound else wrapped(*args, **kwargs)
            return result
        except BaseException:
            exc_info = sys.exc_info()
            if deferred:
                ctx.dispatch_ended_event(*exc_info)
            raise
        finally:
            if deferred:
                event.finish(ctx, result)
            elif done is not None:
                try:
                    done(ctx, None if result is _NO_RESULT else result)
                except Exception:
                    log.debug("%s: result not recorded", event.name, exc_info=True)
            if not deferred and not ctx._end_event_dispatched:
                _dispatch(ended, (ctx, exc_info))
                ctx._end_event_dispatched = True
            _current.set(ctx._parent)  # type: ignore[arg-type]  # its parent: never None, the hub has a root

    return wrapper


_TRACED = "_ddtrace_integrations_traced"  # marks the plain functions ``traced_method`` makes
_UNBOUND_CALLABLE = (FunctionType, MethodDescriptorType)  # called with the instance first, as binding them would


def traced_method(event: Event, original: Any, wrapper: Optional[Wrapper] = None) -> Callable[..., Any]:
    """A plain function publishing ``event`` around a class's sync method ``original`` (a function, or a C type's
    method descriptor), to set on the class in its place. A wrapt FunctionWrapper there builds a bound wrapper object
    on every attribute access, which a driver's hot methods (a cursor's execute) would pay on every call; a plain
    function binds as any method does. With nobody listening to ``event`` it calls ``original`` itself: one frame of
    ours. ``wrapper``: what runs instead of ``traced(event)`` (given the bound method), for a call that publishes
    more than one event (a WSGI application). ``__wrapped__`` names ``original``."""
    started, has_listeners = event.started, dd.core.has_listeners
    if wrapper is None and type(original) in _UNBOUND_CALLABLE:
        unbound = traced(event, unbound=True, checked=True)

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not has_listeners(started):
                return original(self, *args, **kwargs)
            return unbound(original, self, args, kwargs)

    else:  # what ``original`` binds to is called
        bound, bind = wrapper or traced(event, checked=True), original.__get__

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not has_listeners(started):
                return bind(self)(*args, **kwargs)
            return bound(bind(self), self, args, kwargs)

    functools.update_wrapper(method, original)
    setattr(method, _TRACED, True)
    return method


def traced_member(event: Event, original: Any, wrapper: Optional[Wrapper] = None) -> Any:
    """What replaces a class's method ``original`` to publish ``event``: a plain function (``traced_method``) for a
    sync method, a wrapt wrapper for a coroutine function, whose proxy keeps answering
    ``inspect.iscoroutinefunction`` as the library's own method does."""
    if inspect.iscoroutinefunction(original):
        return wrapt.FunctionWrapper(original, wrapper or traced_async(event))
    return traced_method(event, original, wrapper)


def shallow_copy(obj: Any) -> Any:
    """An object of ``obj``'s class holding the same attributes, made without calling its constructor: what a
    publisher sends in place of a caller's request it must not modify (``copy.copy`` detours through
    ``__reduce_ex__``, a library's constructor re-parses what the request already holds). The attributes are set
    one by one: a copy whose ``__dict__`` is filled in one step loses its class's compact attribute layout, and every
    later read of its attributes by the library (many, on a request) costs more."""
    copy = object.__new__(type(obj))
    for name, value in vars(obj).items():
        setattr(copy, name, value)
    return copy


def traced_async(event: Event) -> Wrapper:
    """Wrapper for a coroutine function: with nobody listening, the call returns the library's own coroutine (no
    coroutine of ours around it); else our coroutine, which publishes around awaiting the library's."""
    started, ended, has_listeners, context = event.started, event.ended, dd.core.has_listeners, event.context
    rewrite, done, deferred = event.rewrite, event.done, event.deferred_end

    def wrapper(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if not has_listeners(started):
            return wrapped(*args, **kwargs)
        return published(wrapped, instance, args, kwargs)

    async def published(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        ctx = context(instance, args, kwargs)
        if ctx is None:
            return await wrapped(*args, **kwargs)
        result = _NO_RESULT
        exc_info: ExcInfo = _NO_EXCEPTION
        current = _current.set(ctx)
        try:  # a BaseException out of a listener still ends the context and resets what was set
            _dispatch(started, (ctx,))
            if rewrite is not None:
                try:
                    args, kwargs = rewrite(ctx, args, kwargs)
                except Exception:
                    log.debug("%s: arguments left unchanged", event.name, exc_info=True)
            result = await wrapped(*args, **kwargs)
            return result
        except BaseException:
            exc_info = sys.exc_info()
            if deferred:
                ctx.dispatch_ended_event(*exc_info)
            raise
        finally:
            if deferred:
                event.finish(ctx, result)
            elif done is not None:
                try:
                    done(ctx, None if result is _NO_RESULT else result)
                except Exception:
                    log.debug("%s: result not recorded", event.name, exc_info=True)
            if not deferred and not ctx._end_event_dispatched:
                _dispatch(ended, (ctx, exc_info))
                ctx._end_event_dispatched = True
            try:
                _current.reset(current)
            except (ValueError, LookupError):  # ended in another asyncio context: ddtrace leaves it too
                log.debug("%s: the current context could not be reset", event.name, exc_info=True)

    return wrapper


def traced_iter(event: Event) -> Wrapper:
    """Wrapper for a callable returning an iterator: one context from first step to exhaustion."""
    return _deferred(event, _iterate)


def traced_async_iter(event: Event) -> Wrapper:
    """Wrapper for a callable returning an async iterator (async generators, cursors)."""
    return _deferred(event, _aiterate)


def _deferred(event: Event, iterate: Callable[..., Any]) -> Wrapper:
    """The context opens when iteration starts; the call itself only creates the iterator."""

    started, has_listeners = event.started, dd.core.has_listeners

    def wrapper(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        if not has_listeners(started):
            return wrapped(*args, **kwargs)
        ctx = event.context(instance, args, kwargs)
        if ctx is None:
            return wrapped(*args, **kwargs)
        return iterate(event, ctx, wrapped, args, kwargs)

    return wrapper


def _iterate(event: Event, ctx: dd.ExecutionContext, wrapped: Callable, args: Args, kwargs: Kwargs) -> Iterator:
    with ctx:
        count = 0
        try:
            call_args, call_kwargs = event.arguments(ctx, args, kwargs)
            for item in wrapped(*call_args, **call_kwargs):
                count += 1
                yield item
        finally:
            event.finish(ctx, count)


async def _aiterate(
    event: Event, ctx: dd.ExecutionContext, wrapped: Callable, args: Args, kwargs: Kwargs
) -> AsyncIterator:
    with ctx:
        count = 0
        try:
            call_args, call_kwargs = event.arguments(ctx, args, kwargs)
            async for item in wrapped(*call_args, **call_kwargs):
                count += 1
                yield item
        finally:
            event.finish(ctx, count)


def quiet_iter(held: Callable[[Any], Any]) -> Wrapper:
    """Wrapper for a library call returning an iterator whose steps make the library's own traced calls on
    ``held(instance)`` (sqlite3's ``iterdump`` querying its connection): those publish nothing, as inside an
    exclusive event. The application's own calls between steps are traced as usual."""

    def wrapper(wrapped: Callable, instance: Any, args: Args, kwargs: Kwargs) -> Any:
        return _quietly(held(instance), wrapped(*args, **kwargs))

    return wrapper


def _quietly(held: Any, iterable: Any) -> Iterator:
    iterator = iter(iterable)
    marker = dd.new_context("ddtrace_integrations.quiet", {}, False, held)  # never dispatched
    while True:
        marker._parent = _current.get()
        current = _current.set(marker)
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            _current.reset(current)
        yield item


def function_name(fn: Any) -> str:
    """``module.name``: the span name ddtrace gives a traced user function (a view, a hook, a receiver)."""
    name = getattr(fn, "__name__", type(fn).__name__)
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module else name


_class_names: Dict[type, str] = {}


def class_name(cls: type) -> str:
    """``function_name`` of a class, worked out once: asked per request of its request, response and middleware
    classes."""
    try:
        return _class_names[cls]
    except KeyError:
        if len(_class_names) >= 256:  # classes made on the fly must not accumulate
            _class_names.clear()
        name = _class_names[cls] = function_name(cls)
        return name


def internal_event(
    package: str,
    name: str,
    *,
    pin_source: Any,
    resource: Optional[str] = None,
    span_type: Optional[str] = None,
    ignored: Tuple[type, ...] = (),
    tags: Optional[Dict[str, Any]] = None,
    inherit_service: bool = False,
    service_source: bool = True,
) -> Event:
    """``{package}.internal``: a span named ``name`` for work inside a framework (see InternalPlugin)."""

    def build(instance: Any, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
        return {
            "internal_context": InternalContext(
                name, resource, span_type, ignored, dict(tags) if tags else None, inherit_service, service_source
            )
        }

    return Event(f"{package}.internal", build, pin_source=pin_source)


def is_wrapped(obj: Any) -> bool:
    """An object already behind a wrapt proxy (here, by ddtrace or by a library; every wrapt proxy type, C or Python,
    defines ``__wrapped__`` on the type), or a method ``traced_method`` made (or that method bound)."""
    return obj is not None and (hasattr(type(obj), "__wrapped__") or getattr(obj, _TRACED, False) is True)


def traced_function(fn: Callable, event: Event, proxy: Type[wrapt.FunctionWrapper] = wrapt.FunctionWrapper) -> Any:
    """``fn`` itself traced (a user's view or hook), keeping its name, signature and attributes; ``proxy`` (a
    FunctionWrapper subclass) lets a publisher recognise its own wrappers later."""
    wrapper = traced_async(event) if inspect.iscoroutinefunction(fn) else traced(event)
    return proxy(fn, wrapper)


def replace_argument(args: Args, kwargs: Kwargs, position: int, keyword: str, value: Any) -> Tuple[Args, Kwargs]:
    """Copies of ``args``/``kwargs`` with one argument replaced; the caller's objects stay untouched."""
    if len(args) > position:
        return (*args[:position], value, *args[position + 1 :]), kwargs
    return args, {**kwargs, keyword: value}


def argument(args: Args, kwargs: Kwargs, position: int, keyword: str, default: Any = None) -> Any:
    return args[position] if len(args) > position else kwargs.get(keyword, default)


class Parameters:
    """A library callable's parameters, in order: ``bind`` reads all the arguments of a call in one step, where a
    publisher reading many of them (a message send: topic, key, value, partition, headers) would otherwise make a
    call per argument."""

    __slots__ = ("names",)

    def __init__(self, *names: str) -> None:
        self.names = names

    def bind(self, args: Args, kwargs: Kwargs) -> Dict[str, Any]:
        """The arguments passed, by parameter name; those left to their default are absent."""
        bound = dict(zip(self.names, args))
        if kwargs:
            bound.update(kwargs)
        return bound

    def replace(self, args: Args, kwargs: Kwargs, name: str, value: Any) -> Tuple[Args, Kwargs]:
        """Copies of ``args``/``kwargs`` with the argument ``name`` replaced (see ``replace_argument``)."""
        return replace_argument(args, kwargs, self.names.index(name), name, value)


class Publisher:
    """The wrappers one publisher installed, so that unpatching removes exactly those."""

    def __init__(self, package: str) -> None:
        self.package = package
        self._installed: List[Tuple[Any, str, Any]] = []

    def pin(self, module: ModuleType) -> None:
        if dd.Pin.get_from(module) is None:
            dd.Pin().onto(module)

    def wrap(self, owner: Any, attr: str, wrapper: Wrapper) -> None:
        self._replace(owner, attr, lambda original: wrapt.FunctionWrapper(original, wrapper))

    def wrap_method(self, owner: Any, attr: str, event: Event, wrapper: Optional[Wrapper] = None) -> None:
        """``event`` published around the method ``attr`` of the class ``owner``: a plain function for a sync method
        (``traced_method``), a wrapt wrapper for a coroutine function. ``wrapper`` replaces ``traced(event)`` while
        ``event`` has listeners."""
        self._replace(owner, attr, lambda original: traced_member(event, original, wrapper))

    def _replace(self, owner: Any, attr: str, make: Callable[[Any], Any]) -> None:
        own = vars(owner).get(attr, _NO_RESULT)
        if isinstance(own, wrapt.FunctionWrapper) or getattr(own, _TRACED, False) is True:
            return
        original = getattr(owner, attr) if own is _NO_RESULT else own
        setattr(owner, attr, make(original))
        self._installed.append((owner, attr, own))

    def unwrap_all(self) -> None:
        while self._installed:
            owner, attr, own = self._installed.pop()
            if own is _NO_RESULT:
                delattr(owner, attr)  # the method was inherited: let the lookup find it again
            else:
                setattr(owner, attr, own)
