"""Traces as text: a span tree with durations, a waterfall bar per span, error marks and the key tags."""

from __future__ import annotations

import base64
import json
import math
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ddtrace_integrations.viewer.traces import Span
from ddtrace_integrations.viewer.traces import full_trace_id
from ddtrace_integrations.viewer.traces import span_links

KEY_TAGS = (
    "span.kind",
    "component",
    "http.method",
    "http.status_code",
    "http.url",
    "http.route",
    "db.system",
    "db.name",
    "out.host",
    "peer.service",
    "messaging.system",
    "messaging.destination.name",
    "error.type",
    "error.message",
)
VALUE_WIDTH = 60
BAR_WIDTH = 40
MAX_LINES = 300  # spans shown of one trace; --json has them all

_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


class Style:
    """The characters and colours of the output; ``ascii`` for terminals that cannot show box drawing."""

    def __init__(self, color: bool = False, ascii: bool = False) -> None:
        self.color = color
        self.full = "#" if ascii else "\u2588"
        self.error = "X " if ascii else "\u2717 "
        boxes = ("|- ", "`- ", "|  ") if ascii else ("\u251c\u2500 ", "\u2514\u2500 ", "\u2502  ")
        self.tee, self.elbow, self.pipe = boxes
        self.ellipsis = "..." if ascii else "\u2026"

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and text else text


def format_duration(ns: int) -> str:
    if ns < 1000:
        return f"{ns} ns"
    if ns < 1_000_000:
        return f"{ns / 1000:.0f} \u00b5s"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    return f"{ns / 1_000_000_000:.3f} s"


def _short(value: Any, style: Style) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    if len(text) > VALUE_WIDTH:
        text = text[: VALUE_WIDTH - len(style.ellipsis)] + style.ellipsis
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text or '"' in text) else text


def bar(start: int, end: int, t0: int, total: int, width: int, style: Style) -> str:
    """The part of ``width`` columns that [start, end) takes in [t0, t0 + total): at least one column."""
    total = max(total, 1)
    first = min(max(int((start - t0) * width // total), 0), width - 1)
    last = min(max(math.ceil((end - t0) * width / total), first + 1), width)
    return " " * first + style.full * (last - first) + " " * (width - last)


def span_tags(span: Span, parent: Optional[Span], pid: Optional[int], style: Style) -> List[str]:
    tags = []
    if parent is None or parent["service"] != span["service"]:
        tags.append(f"service={_short(span['service'], style)}")
    if span["resource"] and span["resource"] != span["name"]:
        tags.append(f"resource={_short(span['resource'], style)}")
    meta, metrics = span["meta"], span["metrics"]
    for key in KEY_TAGS:
        if key in meta:
            tags.append(f"{key}={_short(meta[key], style)}")
        elif key in metrics:
            tags.append(f"{key}={_short(metrics[key], style)}")
    tags.extend(f"link={trace_id:032x}/{span_id}" for trace_id, span_id in span_links(span))
    if pid is not None:
        tags.append(f"pid={pid}")
    if parent is None and span["parent_id"]:
        tags.append(f"parent={span['parent_id']} (not received)")
    return tags


def render_trace(
    spans: List[Span],
    style: Optional[Style] = None,
    width: int = BAR_WIDTH,
    shown_before: int = 0,
    max_lines: int = MAX_LINES,
) -> str:
    """One trace as lines of text: a header, then one line per span in tree order (children by start time)."""
    style = style or Style()
    spans = sorted(spans, key=lambda s: (s["start"], s["span_id"]))
    by_id = {span["span_id"]: span for span in spans}
    children: Dict[int, List[Span]] = {}
    roots = []
    for span in spans:
        if span["parent_id"] in by_id and span["parent_id"] != span["span_id"]:
            children.setdefault(span["parent_id"], []).append(span)
        else:
            roots.append(span)
    t0 = min((s["start"] for s in spans), default=0)
    t1 = max((s["start"] + s["duration"] for s in spans), default=0)
    pids = {int(s["metrics"]["process_id"]) for s in spans if "process_id" in s["metrics"]}
    errors = sum(1 for s in spans if s["error"])

    header = f"trace {full_trace_id(spans):032x}  {len(spans)} span{'s' if len(spans) != 1 else ''}"
    if errors:
        header += f", {errors} error{'s' if errors != 1 else ''}"
    if len(pids) > 1:
        header += f", {len(pids)} processes"
    header += f", {format_duration(t1 - t0)}"
    if shown_before:
        header += f"  (update: {len(spans) - shown_before} more)"
    lines = [style.paint(_BOLD, header)]

    # depth-first, iteratively: (span, parent, inherited pid, prefix for this line, prefix for its children)
    stack: List[Tuple[Span, Optional[Span], Optional[int], str, str]]
    stack = [(root, None, None, "", "") for root in reversed(roots)]
    while stack:
        if len(lines) > max_lines:
            lines.append(f"{'':9} {'':{width + 2}} {style.ellipsis} {len(spans) - max_lines} more spans")
            break
        span, parent, parent_pid, prefix, child_prefix = stack.pop()
        own_pid = span["metrics"].get("process_id")
        pid = int(own_pid) if own_pid is not None else parent_pid
        shown_pid = pid if len(pids) > 1 and pid is not None and pid != parent_pid else None
        mark = style.paint(_RED, style.error) if span["error"] else ""
        name = style.paint(_RED + _BOLD, span["name"]) if span["error"] else style.paint(_BOLD, span["name"])
        tags = " ".join(span_tags(span, parent, shown_pid, style))
        waterfall = bar(span["start"], span["start"] + span["duration"], t0, t1 - t0, width, style)
        waterfall = style.paint(_RED if span["error"] else _CYAN, waterfall)
        line = f"{format_duration(span['duration']):>9} |{waterfall}| {prefix}{mark}{name}"
        lines.append(line + ("  " + style.paint(_DIM, tags) if tags else ""))
        kids = children.get(span["span_id"], [])
        for index in range(len(kids) - 1, -1, -1):
            last = index == len(kids) - 1
            stack.append(
                (
                    kids[index],
                    span,
                    pid,
                    child_prefix + (style.elbow if last else style.tee),
                    child_prefix + ("   " if last else style.pipe),
                )
            )
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def trace_json(spans: List[Span], shown_before: int = 0) -> str:
    """One trace as one line of JSON: its 128-bit id in hex, and its spans (ids, parent ids, tags, metrics)."""
    obj: Dict[str, Any] = {"trace_id": f"{full_trace_id(spans):032x}", "spans": [_jsonable(s) for s in spans]}
    if shown_before:
        obj["update"] = True  # spans that arrived after this trace was written; this line has them all
    return json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n"
