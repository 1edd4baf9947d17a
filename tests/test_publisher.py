"""Publisher helpers: each call shape, the disabled path, and arguments the caller owns."""

from __future__ import annotations

import pytest
from fakes.fakelib_plugins import FakeQueryPlugin
from fakes.fakelib_plugins import FakeRowsPlugin
from helpers import assert_span
from helpers import disabled_path_calls

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import tracing_plugins


async def test_async_call_is_traced_with_result(fake, spans):
    assert await fake.Connection().aexecute("select 1") == 3
    assert spans.one("fakedb.query").get_metric("db.row_count") == 3


def test_iterator_is_one_span_from_first_item_to_exhaustion(fake, spans):
    assert list(fake.Connection().rows(4)) == [0, 1, 2, 3]
    span = spans.one("fakedb.query", resource="rows")
    assert span.get_metric("db.row_count") == 4


async def test_async_iterator_is_one_span(fake, spans):
    assert [i async for i in fake.Connection().arows(5)] == [0, 1, 2, 3, 4]
    assert spans.one("fakedb.query", resource="rows").get_metric("db.row_count") == 5


def test_disabled_path_builds_no_context(fake, spans):
    tracing_plugins.unregister(FakeQueryPlugin)
    tracing_plugins.unregister(FakeRowsPlugin)
    try:
        conn = fake.Connection()
        results = []
        ran, nested = disabled_path_calls(lambda: results.extend([conn.execute("select 1"), list(conn.rows(2))]))
        assert not dd.core.has_listeners("context.started.fakelib.execute")
    finally:
        tracing_plugins.register(FakeQueryPlugin)
        tracing_plugins.register(FakeRowsPlugin)
    assert results == [3, [0, 1]]
    assert ran == 2  # the two wrappers, which only checked the listeners and called through
    assert nested == []
    assert spans.spans == []


def test_disabled_iterator_path_returns_the_library_object_itself(fake):
    import types

    tracing_plugins.unregister(FakeRowsPlugin)
    try:
        rows = fake.Connection().rows(2)
        assert isinstance(rows, types.GeneratorType) and rows.gi_code.co_name == "rows"
    finally:
        tracing_plugins.register(FakeRowsPlugin)


def test_unreadable_call_data_is_a_clean_skip(fake, spans):
    conn = fake.Connection()
    del conn.host  # build() raises AttributeError: the call goes through untraced
    assert conn.execute("select 1") == 3
    assert spans.named("fakedb.query") == []


def test_error_inside_iteration_passes_through(fake, spans):
    def broken(self, count):
        yield 1
        raise fake.FakeError("cursor broke")

    conn = fake.Connection()
    from ddtrace_integrations.publisher import Event
    from ddtrace_integrations.publisher import traced_iter

    wrapper = traced_iter(Event("fakelib.rows", lambda *a: {"db_context": _ctx()}, pin_source=fake))
    with pytest.raises(fake.FakeError, match="cursor broke"):
        list(wrapper(lambda n: broken(conn, n), conn, (3,), {}))
    assert spans.one("fakedb.query").error == 1


def _ctx():
    from ddtrace_integrations.tracing_plugins.base.events import DatabaseContext

    return DatabaseContext("fakedb", query="rows")


def test_parameters_read_a_call_by_name_and_replace_into_copies():
    from ddtrace_integrations.publisher import Parameters

    send = Parameters("topic", "value", "key", "headers")
    args, kwargs = ("t", b"v"), {"headers": [("a", b"1")]}
    assert send.bind(args, kwargs) == {"topic": "t", "value": b"v", "headers": [("a", b"1")]}
    assert send.replace(args, kwargs, "value", b"w") == (("t", b"w"), kwargs)
    replaced_args, replaced_kwargs = send.replace(args, kwargs, "headers", [])
    assert (replaced_args, replaced_kwargs) == (args, {"headers": []})
    assert kwargs == {"headers": [("a", b"1")]}  # the caller's dict is untouched


def test_a_failing_done_on_a_call_that_ends_later_ends_its_context_at_once(fake, spans, monkeypatch):
    """``done`` is where a deferred call arranges its end (e.g. the acknowledgement callback): when it fails the
    context ends as the call returns, so that no span is left open."""

    def broken(self, callback):
        raise RuntimeError("publisher bug")

    monkeypatch.setattr(fake.Delivery, "on_done", broken)
    delivery = fake.Broker().send_later("orders", b"x")
    assert isinstance(delivery, fake.Delivery)
    assert_span(spans.one("fakemq.produce"), error=0)


class _Stop(BaseException):
    """Not an Exception: the event hub lets it out of a listener."""


def test_a_base_exception_from_a_start_listener_ends_the_context_and_resets_the_current_one(fake, spans):
    ended = []

    def stop(ctx):
        raise _Stop

    def record(ctx, exc_info):
        ended.append(exc_info[0])

    dd.core.on("context.started.fakelib.execute", stop, "test-stop")
    dd.core.on("context.ended.fakelib.execute", record, "test-ended")
    try:
        before = dd.CURRENT_CONTEXT.get()
        with pytest.raises(_Stop):
            fake.Connection().execute("select 1")
        assert dd.CURRENT_CONTEXT.get() is before
        assert ended == [_Stop]
    finally:
        dd.core.reset_listeners("context.started.fakelib.execute", stop)
        dd.core.reset_listeners("context.ended.fakelib.execute", record)
    assert spans.one("fakedb.query").error == 1  # the plugin's span, started before, ended with the error


async def test_async_disabled_path_returns_the_library_coroutine_itself(fake):
    tracing_plugins.unregister(FakeQueryPlugin)
    try:
        pending = fake.Connection().aexecute("select 1")
        assert pending.cr_code.co_name == "aexecute"  # the library's own coroutine, none of ours around it
        assert await pending == 3
    finally:
        tracing_plugins.register(FakeQueryPlugin)


def test_a_shallow_copy_holds_the_same_attributes_and_leaves_the_original_alone():
    from ddtrace_integrations.publisher import shallow_copy

    class Request:
        def __init__(self) -> None:
            self.method, self.headers, self.extensions = "GET", {"a": "1"}, {}

    original = Request()
    copy = shallow_copy(original)
    copy.headers = {"a": "2"}
    assert type(copy) is Request and copy is not original
    assert (copy.method, copy.extensions) == ("GET", {}) and copy.extensions is original.extensions
    assert original.headers == {"a": "1"} and vars(copy).keys() == vars(original).keys()


def test_a_method_replaced_in_place_calls_what_it_replaced_with_the_instance_and_restores_the_current_context():
    """A class's function and a C type's method are called with the instance first (no bound method per call);
    another descriptor (here a staticmethod) is bound as it always was."""
    from ddtrace_integrations.publisher import Event
    from ddtrace_integrations.publisher import Publisher

    class Client:
        def query(self, text: str, *, times: int = 1) -> str:
            return f"{id(self)}:{text * times}"

        @staticmethod
        def version(prefix: str) -> str:
            return prefix + "1"

    class Rows(list):  # ``list.count`` is a C method descriptor
        pass

    seen = []

    def started(ctx):
        seen.append((ctx.identifier, ctx.get_item("instance"), ctx.get_item("args"), ctx.get_item("kwargs")))

    build = lambda *_: {}  # noqa: E731
    publisher = Publisher("fakemethods")
    publisher.wrap_method(Client, "query", Event("fakemethods.query", build))
    publisher.wrap_method(Client, "version", Event("fakemethods.version", build))
    publisher.wrap_method(Rows, "count", Event("fakemethods.count", build))
    client, rows = Client(), Rows([1, 2, 1])
    before = dd.CURRENT_CONTEXT.get()
    try:
        for name in ("query", "version", "count"):
            dd.core.on(f"context.started.fakemethods.{name}", started, "test-methods")
        assert client.query("ab", times=2) == f"{id(client)}:abab"
        assert client.version("v") == "v1"
        assert rows.count(1) == 2
        assert dd.CURRENT_CONTEXT.get() is before
    finally:
        for name in ("query", "version", "count"):
            dd.core.reset_listeners(f"context.started.fakemethods.{name}", started)
        publisher.unwrap_all()
    assert seen == [
        ("fakemethods.query", client, ("ab",), {"times": 2}),
        ("fakemethods.version", client, ("v",), {}),
        ("fakemethods.count", rows, (1,), {}),
    ]
    assert client.query("c") == f"{id(client)}:c" and rows.count(2) == 1  # unwrapped: the library's own methods
