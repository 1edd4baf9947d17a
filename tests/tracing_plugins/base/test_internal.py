"""InternalPlugin: spans inside a request, named by the publisher; ignored exceptions; inherited service."""

from __future__ import annotations

import pytest
from helpers import assert_span


def test_internal_span_is_a_child_of_the_request_and_named_by_its_context(fake, spans):
    fake.handle("GET", "/users/1", {})
    request, render = spans.one("fakelib.request"), spans.one("fakelib.render")
    assert render.parent_id == request.span_id
    assert_span(render, resource="fakelib.render", span_type="template", error=0, meta={"component": "fakelib"})


def test_exceptions_the_framework_handles_are_not_errors_others_are(fake, spans):
    with pytest.raises(LookupError):
        fake.render("missing.html")
    with pytest.raises(ValueError, match="broken"):
        fake.render("broken.html")
    missing, broken = spans.named("fakelib.render")
    assert (missing.error, broken.error) == (0, 1)
    assert broken.get_tag("error.type") == "builtins.ValueError" and missing.get_tag("error.type") is None


def test_context_updates_made_while_the_span_runs_reach_the_span(fake, spans):
    from ddtrace_integrations import web

    original = fake.render.__wrapped__

    def naming(template):
        web.name_current(template, "fakelib.template")
        return original(template)

    fake.render.__wrapped__ = naming  # the publisher's wrapper calls through to this
    try:
        fake.render("page.html")
    finally:
        fake.render.__wrapped__ = original
    assert_span(spans.one("fakelib.render"), resource="page.html", meta={"fakelib.template": "page.html"})
