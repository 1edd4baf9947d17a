"""``_ddtrace.set_tags``: the plugins' one-call tag setter sets exactly what ``Span.set_tags`` sets."""

from __future__ import annotations

from typing import Any
from typing import Dict

import pytest
from ddtrace.trace import tracer

from ddtrace_integrations import _ddtrace as dd


class Text(str):
    pass


class Number(int):
    pass


TAGS = {
    "plain": {"a": "text", "b": 3, "c": 2.5, "d": -(2**63), "e": 2**70, "f": float("nan"), "g": Text("sub")},
    "bool": {"a": "text", "flag": True, "off": False},
    "bytes": {"a": "text", "raw": b"bytes", "n": Number(4)},
    "none and objects": {"none": None, "list": [1, 2], "dict": {"k": 1}},
    "bytes key": {b"key": "value", "a": "text"},
    "port as text": {"network.destination.port": "5432", "a": "text"},
    "measured": {"_dd.measured": "yes", "a": "text"},
    "service": {"service.name": "renamed", "a": "text"},
    "version": {"service.version": "1.2", "a": "text"},
    "manual keep": {"manual.keep": None, "a": "text"},
    "manual drop": {"manual.drop": None, "a": "text"},
}


def _state(span: Any) -> Dict[str, Any]:
    return {
        "attributes": dict(span._get_attributes()),
        "service": span.service,
        "sampling": span.context.sampling_priority,
        "decision maker": span.context._meta.get("_dd.p.dm"),
    }


@pytest.mark.parametrize("tags", TAGS.values(), ids=TAGS.keys())
def test_set_tags_sets_what_span_set_tags_sets(tags):
    public, seam = tracer.start_span("public", service="svc"), tracer.start_span("seam", service="svc")  # two roots
    public.set_tags(tags)
    dd.set_tags(seam, tags)
    expected, actual = _state(public), _state(seam)
    public.finish()
    seam.finish()
    for state in (expected, actual):
        for own in ("runtime-id", "process_id"):
            state["attributes"].pop(own)
    assert actual == expected
