"""What a tracer sends an agent, decoded (``/v0.4/traces``, ``/v0.5/traces``), and traces assembled from it.

A span is a plain dict with the agent's field names: ``trace_id`` (the low 64 bits, as on the wire),
``span_id``, ``parent_id``, ``service``, ``name``, ``resource``, ``type``, ``start`` and ``duration``
(nanoseconds), ``error``, ``meta`` (str -> str), ``metrics`` (str -> number), plus ``span_links``,
``span_events`` and ``meta_struct`` when v0.4 carries them.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Optional
from typing import Tuple

from ddtrace_integrations.viewer._msgpack import unpackb

Span = Dict[str, Any]

TRACE_ENDPOINTS = ("/v0.3/traces", "/v0.4/traces", "/v0.5/traces")

_V05_FIELDS = ("service", "name", "resource", "trace_id", "span_id", "parent_id", "start", "duration", "error")
_STRING_FIELDS = ("service", "name", "resource", "type")
_INT_FIELDS = ("trace_id", "span_id", "parent_id", "start", "duration", "error")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _normal(span: Span) -> Span:
    for field in _STRING_FIELDS:
        span[field] = _text(span.get(field))
    for field in _INT_FIELDS:
        value = span.get(field)
        span[field] = int(value) if isinstance(value, (int, float)) else 0
    span["meta"] = {_text(k): _text(v) for k, v in (span.get("meta") or {}).items()}
    span["metrics"] = {_text(k): v for k, v in (span.get("metrics") or {}).items() if isinstance(v, (int, float))}
    return span


def decode_v04(data: bytes) -> List[List[Span]]:
    """``/v0.4/traces`` (and v0.3): an array of trace chunks, each an array of span maps."""
    chunks = unpackb(data)
    if not isinstance(chunks, list):
        raise ValueError("a v0.4 payload is an array of traces")
    return [[_normal({_text(k): v for k, v in span.items()}) for span in chunk] for chunk in chunks]


def decode_v05(data: bytes) -> List[List[Span]]:
    """``/v0.5/traces``: ``[string table, chunks]``, each span an array of 12 fields, strings as table indexes."""
    payload = unpackb(data)
    if not (isinstance(payload, list) and len(payload) == 2):
        raise ValueError("a v0.5 payload is [string table, traces]")
    strings, chunks = payload

    def s(index: Any) -> str:
        if isinstance(index, int) and 0 <= index < len(strings):
            return _text(strings[index])
        return _text(index)

    result = []
    for chunk in chunks:
        spans = []
        for fields in chunk:
            span: Span = dict(zip(_V05_FIELDS, fields[:9]))
            for name in ("service", "name", "resource"):
                span[name] = s(span.get(name))
            span["meta"] = {s(k): s(v) for k, v in (fields[9] or {}).items()}
            span["metrics"] = {s(k): v for k, v in (fields[10] or {}).items()}
            span["type"] = s(fields[11]) if len(fields) > 11 else ""
            spans.append(_normal(span))
        result.append(spans)
    return result


def decode_traces(path: str, data: bytes) -> List[List[Span]]:
    """Decode a traces request body by its endpoint; raises ValueError when it cannot."""
    if not data:
        return []
    if path.rstrip("/").endswith("/v0.5/traces"):
        return decode_v05(data)
    return decode_v04(data)


def full_trace_id(spans: List[Span]) -> int:
    """The 128-bit trace id: the low 64 bits on every span, the high ones in ``_dd.p.tid`` of a chunk's root."""
    low = spans[0]["trace_id"] if spans else 0
    for span in spans:
        tid = span["meta"].get("_dd.p.tid")
        if tid:
            try:
                return (int(tid, 16) << 64) | low
            except ValueError:
                pass
    return low


def span_links(span: Span) -> List[Tuple[int, int]]:
    """The (128-bit trace id, span id) each span link points to: v0.4 sends links as a ``span_links`` field,
    v0.5 as JSON in the ``_dd.span_links`` tag (ids in hex). Links that cannot be read are left out."""
    links = []
    for link in span.get("span_links") or ():
        if isinstance(link, dict) and isinstance(link.get("span_id"), int):
            high, low = link.get("trace_id_high"), link.get("trace_id")
            trace_id = (high if isinstance(high, int) else 0) << 64 | (low if isinstance(low, int) else 0)
            links.append((trace_id, link["span_id"]))
    try:
        tagged = json.loads(span["meta"].get("_dd.span_links") or "[]")
    except ValueError:
        tagged = []
    for link in tagged if isinstance(tagged, list) else ():
        try:
            links.append((int(link["trace_id"], 16), int(link["span_id"], 16)))
        except (TypeError, KeyError, ValueError):
            continue
    return links


class Trace:
    """The spans of one trace received so far, from any number of chunks and processes."""

    def __init__(self, trace_id: int) -> None:
        self.trace_id = trace_id
        self.spans: Dict[int, Span] = {}
        self.last_arrival = 0.0
        self.shown = 0  # spans already shown (a trace with spans arriving after it was shown is shown again)
        self.shown_at = 0.0

    def sorted_spans(self) -> List[Span]:
        return sorted(self.spans.values(), key=lambda s: (s["start"], s["span_id"]))

    def has_root(self) -> bool:
        return any(span["parent_id"] == 0 for span in self.spans.values())


class Shown(NamedTuple):
    """A trace handed out to be shown: its spans by start time, and how many of them were shown before."""

    spans: List[Span]
    shown_before: int


class Assembler:
    """Groups spans by trace id, the way an agent does, and hands a trace out once it has gone quiet.

    A trace is ready ``settle`` seconds after its last chunk arrived if it has its root span (parent id 0);
    a trace whose root has not arrived (it may still be running in another process) waits ``orphan_wait``.
    Spans of a trace that arrive after it was handed out make it ready again (``Shown.shown_before`` tells how
    many spans were handed out before).
    """

    def __init__(self, settle: float = 1.0, orphan_wait: Optional[float] = None, keep: float = 120.0) -> None:
        self.settle = settle
        self.orphan_wait = 5 * settle if orphan_wait is None else orphan_wait
        self.keep = keep
        self._traces: Dict[int, Trace] = {}
        self._lock = threading.Lock()

    def add(self, chunks: List[List[Span]], now: Optional[float] = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for chunk in chunks:
                for span in chunk:
                    trace = self._traces.get(span["trace_id"])
                    if trace is None:
                        trace = self._traces[span["trace_id"]] = Trace(span["trace_id"])
                    trace.spans[span["span_id"]] = span
                    trace.last_arrival = now

    def take(self, now: Optional[float] = None, everything: bool = False) -> List[Shown]:
        """The traces to show now, oldest first, marked shown; ``everything``: all not shown yet, ready or not."""
        now = time.monotonic() if now is None else now
        out = []
        with self._lock:
            for trace_id, trace in list(self._traces.items()):
                if trace.shown == len(trace.spans):
                    if now - max(trace.shown_at, trace.last_arrival) > self.keep:
                        del self._traces[trace_id]
                    continue
                quiet = now - trace.last_arrival
                if everything or quiet >= (self.settle if trace.has_root() else self.orphan_wait):
                    out.append((trace.last_arrival, Shown(trace.sorted_spans(), trace.shown)))
                    trace.shown = len(trace.spans)
                    trace.shown_at = now
        return [shown for _, shown in sorted(out, key=lambda item: item[0])]

    def pending(self) -> int:
        with self._lock:
            return sum(1 for t in self._traces.values() if t.shown != len(t.spans))
