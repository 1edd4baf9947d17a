"""``ddtrace-integrations run`` and ``import ddtrace_integrations.auto``: ddtrace-run, with v2 owning its libraries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import List

from helpers import PG_DSN
from helpers import SPAN_COUNTER
from helpers import bin_path
from helpers import plugin_distribution
from helpers import run_python
from test_patching import OWNER
from test_patching import QUERY

SQLITE = """
import sqlite3
sqlite3.connect(":memory:").cursor().execute("select 1")
print('sqlite spans', spans_named('sqlite.query'))
"""

RUN = (bin_path("ddtrace-integrations"), "run")


def test_run_traces_covered_libraries_with_v2_and_keeps_every_other_ddtrace_integration():
    out = run_python(
        SPAN_COUNTER + QUERY + OWNER + SQLITE + "print('pg spans', spans_named('postgres.query'))", prefix=RUN
    )
    assert "owner ddtrace_integrations.publisher" in out
    assert "pg spans 1" in out
    assert "sqlite spans 1" in out  # ddtrace's own sqlite3 integration, patched by ddtrace-run's bootstrap


def test_run_honours_dd_trace_lib_enabled():
    out = run_python(SPAN_COUNTER + QUERY + OWNER, {"DD_TRACE_ASYNCPG_ENABLED": "false"}, prefix=RUN)
    assert "owner None" in out


def test_run_honours_dd_patch_modules():
    out = run_python(SPAN_COUNTER + QUERY + OWNER, {"DD_PATCH_MODULES": "asyncpg:false"}, prefix=RUN)
    assert "owner None" in out


def test_a_broken_entry_point_does_not_stop_run(tmp_path):
    plugin_distribution(
        tmp_path, "broken-tracing", "broken = broken_tracing:INTEGRATION", "raise ImportError('broken on purpose')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env.update(PYTHONPATH=str(tmp_path), DD_TRACE_AGENT_URL="http://127.0.0.1:9")
    code = SPAN_COUNTER + QUERY + OWNER + "print('pg spans', spans_named('postgres.query'))"
    proc = subprocess.run([*RUN, sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "owner ddtrace_integrations.publisher" in proc.stdout
    assert "pg spans 1" in proc.stdout
    assert "could not load plugin entry point broken" in proc.stderr


def test_run_loads_an_integration_when_its_library_is_imported_not_before():
    code = textwrap.dedent(
        """
        import sys
        def loaded():
            prefixes = ("ddtrace_integrations.auto.", "ddtrace_integrations.tracing_plugins")
            return sorted(m for m in sys.modules if m.startswith(prefixes))
        print('before', loaded())
        import asyncpg
        print('after', [m for m in loaded() if '.base' not in m])
        """
    )
    out = run_python(code, prefix=RUN)
    assert "before []" in out
    after = [
        "ddtrace_integrations.auto.asyncpg",
        "ddtrace_integrations.auto.asyncpg.patch",
        "ddtrace_integrations.tracing_plugins",
        "ddtrace_integrations.tracing_plugins.contrib",
        "ddtrace_integrations.tracing_plugins.contrib.asyncpg",
    ]
    assert f"after {after}" in out


def test_the_launcher_does_not_import_ddtrace():
    """``ddtrace-integrations run`` only sets PYTHONPATH and execs: importing the tracer there is wasted start-up."""
    out = run_python("import sys, ddtrace_integrations.cli\nprint('ddtrace imported', 'ddtrace' in sys.modules)")
    assert "ddtrace imported False" in out


def test_run_still_loads_the_applications_own_sitecustomize(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("print('app sitecustomize ran')\n")
    out = run_python(OWNER, {"PYTHONPATH": str(tmp_path)}, prefix=RUN)
    assert "app sitecustomize ran" in out


def test_import_auto_from_code_does_the_same():
    code = "import ddtrace_integrations.auto\n" + SPAN_COUNTER + QUERY + OWNER + SQLITE
    out = run_python(code)
    assert "owner ddtrace_integrations.publisher" in out
    assert "sqlite spans 1" in out


def test_patching_one_library_does_not_bootstrap_the_rest():
    code = "import ddtrace_integrations\nddtrace_integrations.patch(asyncpg=True)\n" + SPAN_COUNTER + QUERY + SQLITE
    assert "sqlite spans 0" in run_python(code)


def test_list_names_the_integrations():
    out = subprocess.run([bin_path("ddtrace-integrations"), "list"], capture_output=True, text=True, check=True)
    assert "asyncpg\tasyncpg" in out.stdout.splitlines()


def test_run_without_a_command_fails_cleanly():
    proc = subprocess.run([*RUN], capture_output=True, text=True)
    assert proc.returncode != 0 and "no command given" in proc.stderr


def test_importing_the_publisher_helpers_has_no_side_effects():
    code = "import ddtrace_integrations.publisher\n" + SPAN_COUNTER + SQLITE
    assert "sqlite spans 0" in run_python(code)


def test_pre_forked_workers_still_trace():
    code = SPAN_COUNTER + textwrap.dedent(
        """
        import os, sys
        pid = os.fork()  # the application forks after start-up, as gunicorn's workers do
        if pid == 0:
        """
    )
    child = textwrap.indent(
        QUERY + OWNER + "print('child spans', spans_named('postgres.query'))\nos._exit(0)\n", "    "
    )
    code += child + "os.waitpid(pid, 0)\n"
    out = run_python(code, prefix=RUN)
    assert "owner ddtrace_integrations.publisher" in out
    assert "child spans 1" in out


PSYCOPG = f"""
import psycopg
with psycopg.connect({PG_DSN!r}) as conn:
    print("psycopg says", conn.execute("SELECT 1").fetchone(), conn.execute("SELECT 2").fetchone())
"""


def _run_app(code: str, pythonpath: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env.update(DD_TRACE_AGENT_URL="http://127.0.0.1:9")  # ddtrace's log rate limit left on
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run([*RUN, sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def _error_lines(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if line.startswith("ddtrace-integrations")]


def test_a_plugin_module_that_fails_to_import_leaves_its_library_untraced_and_the_rest_traced(tmp_path):
    """A third-party integration replacing the built-in asyncpg one, whose plugin module cannot be imported."""
    plugin_distribution(
        tmp_path,
        "acme-tracing",
        "asyncpg = acme_tracing:INTEGRATION",
        "from ddtrace_integrations import Integration\n"
        "INTEGRATION = Integration('asyncpg', ('asyncpg',), 'ddtrace_integrations.auto.asyncpg.patch',"
        " 'acme_broken_plugins', 'asyncpg')\n",
    )
    (tmp_path / "acme_broken_plugins.py").write_text("raise ImportError('broken on purpose')\n")
    code = SPAN_COUNTER + QUERY + OWNER + PSYCOPG + "print('pg spans', spans_named('postgres.query'))"
    proc = _run_app(code, str(tmp_path))
    assert "owner None" in proc.stdout  # asyncpg ran, untraced
    assert "psycopg says (1,) (2,)" in proc.stdout
    assert "pg spans 2" in proc.stdout  # psycopg's two queries, and none of asyncpg's
    assert _error_lines(proc.stderr) == ["ddtrace-integrations: patching asyncpg failed; it is not traced"]


def test_a_setting_of_the_wrong_type_switches_its_plugins_off_with_one_log_line_each():
    """A service that is not a name: each psycopg plugin that reads it (queries, then the commit as the connection
    closes) fails on it, says so once and stops; psycopg's results are the application's, and asyncpg is still
    traced."""
    code = SPAN_COUNTER + "import ddtrace\nddtrace.config.psycopg['service'] = ['not', 'a', 'name']\n" + PSYCOPG
    code += QUERY + "print('pg spans', spans_named('postgres.query'))"
    proc = _run_app(code)
    assert "psycopg says (1,) (2,)" in proc.stdout
    assert "pg spans 1" in proc.stdout  # asyncpg's query
    assert _error_lines(proc.stderr) == [
        f"ddtrace-integrations plugin {name} failed and is now disabled"
        for name in ("PsycopgPlugin", "PsycopgConnectionPlugin")
    ]
