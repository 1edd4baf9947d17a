"""``ddtrace-integrations new``: for every kind, the generated files pass ruff and mypy, and their tests run,
skipping with a clear message until filled in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from helpers import ROOT
from helpers import bin_path

from ddtrace_integrations import _scaffold

KINDS = ["database", "storage", "http-client", "web", "messaging"]
NOT_FILLED_IN = "generated, not filled in yet: fill in its TODOs, then remove pytestmark"


def run(argv: List[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=cwd)


def new(root: Path, library: str, kind: str) -> subprocess.CompletedProcess:
    return run([bin_path("ddtrace-integrations"), "new", library, "--kind", kind, "--dir", str(root)])


def test_the_command_offers_every_kind():
    out = run([bin_path("ddtrace-integrations"), "new", "--help"]).stdout
    assert "{database,storage,http-client,web,messaging}" in out
    assert sorted(_scaffold.KINDS) == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_generated_files_pass_ruff_and_mypy(tmp_path, kind):
    made = new(tmp_path, "acmestore", kind)
    assert made.returncode == 0, made.stderr
    files = sorted(str(p) for p in tmp_path.rglob("*.py"))
    assert len(files) == 6 and f"Wrote the acmestore integration ({_scaffold.KINDS[kind].base})" in made.stdout
    config = str(ROOT / "pyproject.toml")
    for argv in (["check"], ["format", "--check", "--diff"]):
        lint = run([bin_path("ruff"), *argv, "--config", config, *files])
        assert lint.returncode == 0, lint.stdout + lint.stderr
    # each generated tree apart: its module names (tests/contrib/acmestore/workload, ...) are the same in every kind
    mypy = subprocess.run(
        [bin_path("mypy"), "--config-file", config, "--explicit-package-bases", "--no-incremental", *files],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"MYPYPATH": "src", "PATH": str(Path(sys.executable).parent)},
    )
    assert mypy.returncode == 0 and "Success" in mypy.stdout, mypy.stdout + mypy.stderr


@pytest.mark.parametrize("library", ["a", "acme.client", "x" * 32])
def test_any_name_makes_files_ruff_accepts(tmp_path, library):
    """Names reach the generated lines: the longest name allowed still fits, and a dotted module works."""
    for kind in KINDS:
        assert new(tmp_path / kind, library, kind).returncode == 0
    config = str(ROOT / "pyproject.toml")
    for argv in (["check"], ["format", "--check", "--diff"]):
        lint = run([bin_path("ruff"), *argv, "--config", config, str(tmp_path)])
        assert lint.returncode == 0, lint.stdout + lint.stderr


def test_mypy_sees_the_real_api_from_a_generated_tree(tmp_path):
    """The mypy check above would also pass if it could not read ddtrace_integrations.api: a wrong use fails."""
    assert new(tmp_path, "acmestore", "storage").returncode == 0
    patch = tmp_path / "src" / "ddtrace_integrations" / "auto" / "acmestore" / "patch.py"
    patch.write_text(patch.read_text() + "\nWRONG: int = StorageContext('acmestore').command\n")
    mypy = subprocess.run(
        [bin_path("mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--explicit-package-bases", str(patch)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"MYPYPATH": "src", "PATH": str(Path(sys.executable).parent)},
    )
    assert mypy.returncode == 1 and 'expression has type "str | None", variable has type "int"' in mypy.stdout


def _repository_like(root: Path) -> None:
    """The test tree the generated tests run in, as in this repository: its conftest files and helpers."""
    for name in ("conftest.py", "helpers.py", "contrib/conftest.py", "contrib/http_server.py", "contrib/steps.py"):
        (root / "tests" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "tests" / name, root / "tests" / name)
    shutil.copytree(ROOT / "tests" / "fakes", root / "tests" / "fakes")


def pytest_in(root: Path, *paths: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "--rootdir", str(root), *paths], root)


@pytest.mark.parametrize("kind", KINDS)
def test_generated_tests_run_and_skip_saying_why(tmp_path, kind):
    _repository_like(tmp_path)
    assert new(tmp_path, "acmestore", kind).returncode == 0
    ran = pytest_in(tmp_path, "tests/contrib/acmestore")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "5 skipped" in ran.stdout and "failed" not in ran.stdout and "error" not in ran.stdout.lower(), ran.stdout
    assert ran.stdout.count(NOT_FILLED_IN) == 2, ran.stdout  # -rs groups each module's skips: the reason, twice


def test_without_the_skip_the_tests_need_the_library(tmp_path):
    """The skip mark is what holds the generated tests back: removed, they run (here, to the library's absence)."""
    _repository_like(tmp_path)
    assert new(tmp_path, "acmestore", "storage").returncode == 0
    test = tmp_path / "tests" / "contrib" / "acmestore" / "test_acmestore.py"
    test.write_text(test.read_text().replace("pytestmark = pytest.mark.skip", "_unused = pytest.mark.skip"))
    ran = pytest_in(tmp_path, str(test))
    assert ran.returncode == 0 and "2 skipped" in ran.stdout, ran.stdout + ran.stderr
    assert "acmestore is not installed" in ran.stdout and NOT_FILLED_IN not in ran.stdout


def test_a_name_ddtrace_listens_to_is_avoided(tmp_path):
    """``redis.command`` is ddtrace's own event name: the scaffold names the operation so the registry accepts it."""
    made = new(tmp_path, "redis", "storage")
    assert made.returncode == 0, made.stderr
    plugin = (tmp_path / "src" / "ddtrace_integrations" / "tracing_plugins" / "contrib" / "redis.py").read_text()
    assert 'operation = "execute"' in plugin
    assert "Event: redis.execute" in made.stdout and "redis.command is listened to" in made.stdout
    publisher = (tmp_path / "src" / "ddtrace_integrations" / "auto" / "redis" / "patch.py").read_text()
    assert '"redis.execute"' in publisher and '"redis.command"' not in publisher


def test_existing_files_are_never_overwritten(tmp_path):
    assert new(tmp_path, "acmestore", "web").returncode == 0
    plugin = tmp_path / "src" / "ddtrace_integrations" / "tracing_plugins" / "contrib" / "acmestore.py"
    plugin.write_text("# mine\n")
    again = new(tmp_path, "acmestore", "database")
    assert again.returncode == 1 and "exist already, nothing written" in again.stderr
    assert plugin.read_text() == "# mine\n"
    assert not (tmp_path / "tests" / "contrib" / "acmestore" / "test_acmestore.py").read_text().count("DatabasePlugin")


@pytest.mark.parametrize("library", ["class", "1abc", "x" * 33])
def test_a_library_name_that_makes_no_integration_name_is_refused(tmp_path, library):
    made = new(tmp_path, library, "storage")
    assert made.returncode == 1 and "does not make an integration name" in made.stderr
    assert not any(tmp_path.iterdir())


def test_the_templates_ship_in_the_wheel(tmp_path):
    """An installed package (not this editable checkout) has the templates the command reads."""
    import zipfile

    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist")]
    built = run([*build, str(source)], cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".tmpl")}
    used = {f"ddtrace_integrations/templates/{p.name}" for p in _scaffold.TEMPLATES.glob("*.tmpl")}
    assert len(used) == 13 and shipped == used
