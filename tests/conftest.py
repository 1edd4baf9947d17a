"""Suite-wide set-up: the fake integration is registered like a third-party entry point would be."""

from __future__ import annotations

import importlib
import os
import uuid
from typing import Iterator

import pytest

os.environ.setdefault("DD_TRACE_AGENT_URL", "http://127.0.0.1:8126")
os.environ.setdefault("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")
os.environ.setdefault("DD_REMOTE_CONFIGURATION_ENABLED", "false")
# What names this run on the services every run shares (steps.own in the workloads); the workloads inherit it.
os.environ.setdefault("DDI_RUN_ID", uuid.uuid4().hex[:8])
# This process's own traces get their own test-agent session, apart from the parity subprocesses' sessions.
os.environ["_DD_TRACE_WRITER_ADDITIONAL_HEADERS"] = "X-Datadog-Test-Session-Token:ddi-pytest-process"

from helpers import DataStreams
from helpers import SpanRecorder
from helpers import install_recorder

from ddtrace_integrations import _patching

FAKE = _patching.Integration("fakelib", ("fakelib",), "fakes.fakelib_publisher", "fakes.fakelib_plugins")
FAKE_DBAPI = _patching.Integration("fakedbapi", ("fakedbapi",), "fakes.fakedbapi_publisher", "fakes.fakedbapi_plugins")
FAKE_KV = _patching.Integration("fakekv", ("fakekv",), "fakes.fakekv_publisher", "fakes.fakekv_plugins")


def _instrumented_whole_process() -> bool:
    """Whether ``ddtrace_integrations.auto`` bootstrapped this process: a test that imports a publisher module
    directly (not through the registry, ``_patching._publisher``) does that, and every later test then runs with
    ddtrace's own integrations patched too (an HTTP test client traced, template spans, ...)."""
    from ddtrace_integrations import _bootstrap

    return _bootstrap._started


def pytest_collection_finish(session: pytest.Session) -> None:
    if _instrumented_whole_process():
        raise pytest.UsageError("a test module imported ddtrace_integrations.auto: load its publisher via the registry")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _instrumented_whole_process():
        pytest.fail(f"{item.nodeid} imported ddtrace_integrations.auto: the rest of the suite would run instrumented")


@pytest.fixture
def spans() -> Iterator[SpanRecorder]:
    recorder = install_recorder()
    yield recorder
    recorder.clear()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The fake library, patched through the registry exactly as a real integration is."""
    import sys

    monkeypatch.setitem(_patching.BUILTIN, "fakelib", FAKE)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fakes"))
    import fakelib

    import ddtrace_integrations

    ddtrace_integrations.patch(fakelib=True)
    yield fakelib
    ddtrace_integrations.unpatch(fakelib=True)
    sys.path.remove(os.path.join(os.path.dirname(__file__), "fakes"))


def _patched_fake(monkeypatch: pytest.MonkeyPatch, name: str, integration: object) -> Iterator[object]:
    """A fake library from tests/fakes, patched through the registry like a real one."""
    monkeypatch.setitem(_patching.BUILTIN, name, integration)
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), "fakes"))
    module = importlib.import_module(name)

    import ddtrace_integrations

    ddtrace_integrations.patch(**{name: True})
    yield module
    ddtrace_integrations.unpatch(**{name: True})


@pytest.fixture
def fake_dbapi(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The fake DB-API driver."""
    yield from _patched_fake(monkeypatch, "fakedbapi", FAKE_DBAPI)


@pytest.fixture
def fake_kv(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The fake key-value store (a non-SQL storage integration)."""
    yield from _patched_fake(monkeypatch, "fakekv", FAKE_KV)


@pytest.fixture
def data_streams(monkeypatch: pytest.MonkeyPatch) -> Iterator[DataStreams]:
    """ddtrace's own Data Streams processor, switched on for one test; read, never flushed, while it runs."""
    from ddtrace.internal import datastreams
    from ddtrace.internal.datastreams.processor import DataStreamsProcessor

    from ddtrace_integrations import _ddtrace as dd

    monkeypatch.setattr(dd.config, "_data_streams_enabled", True)
    processor = DataStreamsProcessor(interval=3600)
    monkeypatch.setattr(datastreams, "_processor", processor)
    yield DataStreams(processor)
    processor.stop()
    # Read, never sent: at exit ddtrace flushes every processor it made, and this one's backoff, scaled to its
    # interval, would sleep for minutes per processor before giving up on an agent that is gone.
    with processor._lock:
        processor._buckets.clear()
