"""ddtrace_integrations.api: the public names an integration may use, and that the existing fakes could use."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from helpers import ROOT

from ddtrace_integrations import api

FAKES = sorted((ROOT / "tests" / "fakes").glob("*_p*.py"))  # the fakes' publishers and plugins


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ddtrace_integrations"):
            yield node.module, [alias.name for alias in node.names]


def test_every_public_name_exists():
    assert sorted(set(api.__all__)) == sorted(api.__all__)
    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []


@pytest.mark.parametrize("path", FAKES, ids=lambda p: p.name)
def test_what_each_fake_imports_is_public(path):
    """Every name a fake integration takes from the package is in the public module, as the same object."""
    imported = list(_imports(path))
    assert imported, path
    public = {id(getattr(api, name)) for name in api.__all__}
    for module, names in imported:
        for name in names:
            obj = getattr(importlib.import_module(module), name)
            assert id(obj) in public, f"{path.name}: {module}.{name} is not in ddtrace_integrations.api"


def test_the_non_sql_store_fake_uses_only_the_public_module():
    for path in (ROOT / "tests" / "fakes" / "fakekv_publisher.py", ROOT / "tests" / "fakes" / "fakekv_plugins.py"):
        assert {module for module, _ in _imports(path)} == {"ddtrace_integrations.api"}, path


def test_the_public_module_reaches_ddtrace_only_through_the_seam():
    source = (ROOT / "src" / "ddtrace_integrations" / "api.py").read_text()
    modules = [n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)]
    assert modules and not [m for m in modules if not (m or "").startswith(("ddtrace_integrations", "__future__"))]
    assert "from ddtrace_integrations import _ddtrace" in source


def test_settings_helpers_read_ddtrace_settings(monkeypatch):
    monkeypatch.setenv("DD_ACME_TRACE_SCRIPTS", "true")
    monkeypatch.setenv("DD_ACME_PREFIX", "acme-")
    assert api.env_flag("DD_ACME_TRACE_SCRIPTS") is True
    assert api.env_flag("DD_ACME_UNSET") is False
    assert api.env_flag("DD_ACME_UNSET", True) is True
    assert api.env_text("DD_ACME_PREFIX", "x") == "acme-"
    assert api.env_text("DD_ACME_UNSET", "x") == "x"
    assert api.dbapi_settings("acme") == {"trace_fetch_methods": False, "trace_connect": False}
