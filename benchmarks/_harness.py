"""Shared by the benchmarks: spans go nowhere, while every tracer processor still runs."""

from __future__ import annotations

import contextlib
from typing import Any
from typing import Optional
from typing import Sequence

from ddtrace.internal.writer import TraceWriter
from ddtrace.trace import tracer


class NullWriter(TraceWriter):
    """Replaces the agent writer: ddtrace's whole span/trace path runs, nothing is encoded or sent."""

    def __init__(self) -> None:
        self.spans = 0
        self.last: Sequence[Any] = ()

    def recreate(self, appsec_enabled: Optional[bool] = None, llmobs_enabled: Optional[bool] = None) -> NullWriter:
        return self

    def stop(self, timeout: Optional[float] = None) -> None:
        pass

    def write(self, spans: Optional[Sequence[Any]] = None) -> None:
        if spans:
            self.spans += len(spans)
            self.last = spans

    def flush_queue(self) -> None:
        pass


def install_null_writer() -> NullWriter:
    aggregator = tracer._span_aggregator
    old = aggregator.writer
    writer = aggregator.writer = NullWriter()
    with contextlib.suppress(Exception):  # a writer that never started has nothing to stop
        old.stop()
    return writer
