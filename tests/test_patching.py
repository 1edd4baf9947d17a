"""Patching: lazy, idempotent, version-checked, env-driven, and never alongside ddtrace's own integration."""

from __future__ import annotations

import logging
import textwrap

import pytest
from helpers import PG_DSN
from helpers import SPAN_COUNTER
from helpers import plugin_distribution
from helpers import run_python

import ddtrace_integrations

QUERY = f"""
import asyncio, asyncpg
async def _query():
    conn = await asyncpg.connect({PG_DSN!r})
    await conn.execute("SELECT 1")
    await conn.close()
asyncio.run(_query())
"""

OWNER = """
from asyncpg.protocol import Protocol
wrapper = vars(Protocol).get("query")
owner = getattr(wrapper, "_self_wrapper", None)
print("owner", getattr(owner, "__module__", None))
"""


def test_patching_before_import_takes_effect_on_import():
    out = run_python(
        "import sys, ddtrace_integrations\n"
        "ddtrace_integrations.patch(asyncpg=True)\n"
        "print('imported early', 'asyncpg' in sys.modules)\n"
        + SPAN_COUNTER
        + QUERY
        + OWNER
        + "print('spans', spans_named('postgres.query'))"
    )
    assert "imported early False" in out
    assert "owner ddtrace_integrations.publisher" in out
    assert "spans 1" in out


def test_objects_created_before_patching_are_traced():
    code = SPAN_COUNTER + textwrap.dedent(
        f"""
        import asyncio, asyncpg, ddtrace_integrations
        from asyncpg.protocol import Protocol  # imported (and a connection made) before patching
        async def main():
            conn = await asyncpg.connect({PG_DSN!r})
            ddtrace_integrations.patch(asyncpg=True)
            await conn.execute("SELECT 1")
            await conn.close()
        asyncio.run(main())
        print('spans', spans_named('postgres.query'))
        """
    )
    assert "spans 1" in run_python(code)


@pytest.mark.parametrize("first", ["ddtrace", "v2"])
def test_ddtrace_integration_stays_inactive_whichever_patched_first(first):
    steps = {
        "ddtrace": "import ddtrace; ddtrace.patch(asyncpg=True)\n",
        "v2": "import ddtrace_integrations; ddtrace_integrations.patch(asyncpg=True)\n",
    }
    second = "v2" if first == "ddtrace" else "ddtrace"
    code = SPAN_COUNTER + "import asyncpg\n" + steps[first] + steps[second] + QUERY + OWNER
    out = run_python(code + "print('spans', spans_named('postgres.query'))")
    assert "spans 1" in out
    assert "owner ddtrace_integrations.publisher" in out


def test_unpatching_v2_lets_ddtrace_patch_again():
    code = SPAN_COUNTER + textwrap.dedent(
        """
        import asyncpg, ddtrace, ddtrace_integrations
        ddtrace_integrations.patch(asyncpg=True)
        ddtrace_integrations.unpatch(asyncpg=True)
        ddtrace.patch(asyncpg=True)
        """
    )
    out = run_python(code + QUERY + OWNER + "print('spans', spans_named('postgres.query'))")
    assert "owner ddtrace.contrib.internal" in out
    assert "spans 1" in out


def test_plugins_listen_from_the_first_import_of_their_library_until_unpatch():
    code = textwrap.dedent(
        """
        import sys, ddtrace_integrations
        from ddtrace_integrations import _ddtrace as dd
        def state():
            listening = dd.core.has_listeners("context.started.asyncpg.execute")
            return listening, "ddtrace_integrations.tracing_plugins.contrib.asyncpg" in sys.modules
        ddtrace_integrations.patch(asyncpg=True, flask=True)
        print('patched', state())
        import asyncpg
        print('imported', state())
        ddtrace_integrations.unpatch(asyncpg=True, flask=True)
        print('unpatched', state())
        print('flask loaded', [m for m in sys.modules if m.startswith(("flask", "ddtrace_integrations.auto.flask"))])
        """
    )
    out = run_python(code)
    assert "patched (False, False)" in out
    assert "imported (True, True)" in out
    assert "unpatched (False, True)" in out
    assert "flask loaded []" in out  # never imported: its publisher is not loaded, not even to unpatch


def test_env_var_turns_an_integration_off_for_patch_all():
    code = (
        "import asyncpg, ddtrace_integrations\n"
        "ddtrace_integrations.patch_all()\n"
        "print('patched', ddtrace_integrations.patched().get('asyncpg'))\n"
    )
    assert "patched None" in run_python(code, {"DD_TRACE_ASYNCPG_ENABLED": "false"})
    assert "patched ('asyncpg',)" in run_python(code)


def test_patch_is_idempotent(spans):
    import wrapt
    from asyncpg.protocol import Protocol

    ddtrace_integrations.patch(asyncpg=True)
    ddtrace_integrations.patch(asyncpg=True)
    try:
        wrapper = vars(Protocol)["query"]
        assert isinstance(wrapper, wrapt.FunctionWrapper)
        assert not isinstance(wrapper.__wrapped__, wrapt.FunctionWrapper)
    finally:
        ddtrace_integrations.unpatch(asyncpg=True)
    ddtrace_integrations.unpatch(asyncpg=True)
    assert "query" not in vars(Protocol)


def test_unknown_integration():
    with pytest.raises(ValueError, match="no integration named 'nosuchlib'"):
        ddtrace_integrations.patch(nosuchlib=True)


def test_unsupported_version_is_skipped_with_one_log_line(monkeypatch, caplog, spans):
    import sys
    from pathlib import Path

    from conftest import FAKE

    from ddtrace_integrations import _patching

    monkeypatch.setitem(_patching.BUILTIN, "fakelib", FAKE)
    monkeypatch.syspath_prepend(str(Path(__file__).with_name("fakes")))
    import fakelib
    import fakes.fakelib_publisher as publisher

    monkeypatch.setattr(publisher, "supported_versions", {"fakelib": ">=2.0"})
    monkeypatch.delitem(sys.modules, "fakelib_publisher", raising=False)
    with caplog.at_level(logging.WARNING, logger="ddtrace_integrations"):
        ddtrace_integrations.patch(fakelib=True)
    try:
        assert fakelib.Connection().execute("select 1") == 3
    finally:
        ddtrace_integrations.unpatch(fakelib=True)
    assert [r.getMessage() for r in caplog.records] == ["ddtrace-integrations: fakelib 1.2.0 is not supported (>=2.0)"]
    assert spans.spans == []


def test_third_party_integration_from_an_entry_point(tmp_path):
    plugin_distribution(
        tmp_path,
        "acme-tracing",
        "fakelib = acme_tracing:INTEGRATION",
        "from ddtrace_integrations import Integration\n"
        "INTEGRATION = Integration('fakelib', ('fakelib',), 'fakes.fakelib_publisher', 'fakes.fakelib_plugins')\n",
    )
    code = SPAN_COUNTER + textwrap.dedent(
        """
        import ddtrace_integrations
        ddtrace_integrations.patch(fakelib=True)
        import fakelib
        fakelib.Connection().execute("select 1")
        print('spans', spans_named('fakedb.query'))
        """
    )
    from helpers import ROOT

    pythonpath = f"{tmp_path}:{ROOT / 'tests'}:{ROOT / 'tests' / 'fakes'}"
    assert "spans 1" in run_python(code, {"PYTHONPATH": pythonpath})
