"""``ddtrace-integrations run`` and ``import ddtrace_integrations.auto``: ddtrace-run, with v2 owning its libraries."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
from importlib import metadata
from typing import Any
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Tuple

import pytest
from helpers import PG_DSN
from helpers import ROOT
from helpers import SPAN_COUNTER
from helpers import bin_path
from helpers import plugin_distribution
from helpers import run_python
from test_patching import OWNER
from test_patching import QUERY

import ddtrace_integrations
from ddtrace_integrations import _patching
from ddtrace_integrations._ddtrace import version_matches

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


def test_run_without_a_command_fails_cleanly():
    proc = subprocess.run([*RUN], capture_output=True, text=True)
    assert proc.returncode == 2 and "no command given" in proc.stderr
    assert "Traceback" not in proc.stderr


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


REDIS = f"""
import redis
client = redis.Redis(host="127.0.0.1", port={int(os.environ.get("DDI_REDIS_PORT", "6379"))})
client.set("ddi-cli-limit", "v" * 40)
print("redis says", client.get("ddi-cli-limit"))
print("redis spans", spans_named("redis.command"))
"""


def test_a_length_limit_that_is_not_a_number_is_reported_once_and_the_default_used():
    """ddtrace's redis module cannot be imported with such a value (its ``int()`` raises): redis goes untraced
    there. v2 says which setting it ignored, and traces redis with the default limit, psycopg as usual. (ddtrace
    still logs that its own redis integration, inactive under v2, failed to load: its bootstrap imports it.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env.update(DD_TRACE_AGENT_URL="http://127.0.0.1:9", DD_REDIS_CMD_MAX_LENGTH="abc")
    code = SPAN_COUNTER + REDIS + PSYCOPG + "print('pg spans', spans_named('postgres.query'))"
    runs = {}
    for name, launcher in (("v2", RUN), ("ddtrace", (bin_path("ddtrace-run"),))):
        proc = subprocess.run(
            [*launcher, sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert "redis says b'" + "v" * 40 + "'" in proc.stdout
        assert "psycopg says (1,) (2,)" in proc.stdout and "pg spans 2" in proc.stdout
        runs[name] = proc
    assert "redis spans 0" in runs["ddtrace"].stdout  # the difference docs/differences.md records
    assert "redis spans 2" in runs["v2"].stdout  # SET and GET
    assert _error_lines(runs["v2"].stderr) == [
        "ddtrace-integrations: DD_REDIS_CMD_MAX_LENGTH='abc' is not a whole number; using 1000"
    ]


# --- the command line as users expect it: --version, python -m, ddtrace-run's flags, launch errors ---

CLI = bin_path("ddtrace-integrations")
MODULE = (sys.executable, "-m", "ddtrace_integrations")


def _env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment without the suite's DD_ settings, with a closed agent port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env.update(DD_TRACE_AGENT_URL="http://127.0.0.1:9", DD_INSTRUMENTATION_TELEMETRY_ENABLED="false")
    env.update(extra or {})
    return env


def _exec(*command: str, env: Optional[Mapping[str, str]] = None, cwd: Any = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=_env(env), capture_output=True, text=True, timeout=120, cwd=cwd)


def _cli(*args: str, env: Optional[Mapping[str, str]] = None, cwd: Any = None) -> subprocess.CompletedProcess:
    return _exec(CLI, *args, env=env, cwd=cwd)


def test_version_prints_the_installed_package_version():
    version = metadata.version("ddtrace-integrations")
    assert version == ddtrace_integrations.__version__
    expected = f"ddtrace-integrations {version} (ddtrace {metadata.version('ddtrace')})\n"
    for args in (("--version",), ("-v",), ("run", "--version"), ("run", "-v")):
        proc = _cli(*args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, expected, ""), args


def test_python_m_works_like_the_console_script():
    assert _exec(*MODULE, "--version").stdout == _cli("--version").stdout
    assert json.loads(_exec(*MODULE, "list", "--json").stdout) == json.loads(_cli("list", "--json").stdout)
    code = SPAN_COUNTER + QUERY + OWNER + "print('pg spans', spans_named('postgres.query'))"
    out = run_python(code, prefix=(*MODULE, "run"))
    assert "owner ddtrace_integrations.publisher" in out
    assert "pg spans 1" in out


def test_no_arguments_prints_the_usage_and_fails():
    proc = _cli()
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: ddtrace-integrations") and " run " in proc.stderr and " list " in proc.stderr


SHOW_FLAGS = """
import logging, os, sys
print('DD_PROFILING_ENABLED', os.environ.get('DD_PROFILING_ENABLED'))
print('DD_TRACE_DEBUG', os.environ.get('DD_TRACE_DEBUG'))
print('profiler started', 'ddtrace.profiling.auto' in sys.modules)
print('debug logging', logging.getLogger('ddtrace').getEffectiveLevel() == logging.DEBUG)
"""


@pytest.mark.parametrize("flags", [(), ("-p",), ("--profiling",), ("-d",), ("--debug",), ("-p", "-d")])
def test_run_flags_mean_what_they_mean_for_ddtrace_run(flags):
    """The same settings in the application, and the same effect (the profiler started, ddtrace's debug logging
    on), as ddtrace-run itself gives for the same flags."""
    ours = _cli("run", *flags, sys.executable, "-c", SHOW_FLAGS)
    theirs = _exec(bin_path("ddtrace-run"), *flags, sys.executable, "-c", SHOW_FLAGS)
    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout.splitlines()[-4:] == theirs.stdout.splitlines()[-4:]
    profiling = bool({"-p", "--profiling"} & set(flags))
    debug = bool({"-d", "--debug"} & set(flags))
    assert f"profiler started {profiling}" in ours.stdout
    assert f"debug logging {debug}" in ours.stdout
    assert ("ddtrace-integrations run: executable " in ours.stderr) is debug  # -d: the launcher says what it runs


def test_run_info_prints_ddtrace_runs_report_then_the_integrations(tmp_path):
    marker = tmp_path / "ran"
    ours = _cli("run", "--info", "-nc", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    theirs = _exec(bin_path("ddtrace-run"), "--info", "-nc")
    assert ours.returncode == 0 and theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert not marker.exists()  # as ddtrace-run: --info reports, and runs nothing
    report, _, integrations = ours.stdout.partition("\nIntegrations of ddtrace-integrations")
    assert report.strip() == theirs.stdout.strip()
    assert "Tracer Configurations:" in report
    rows = [line.split() for line in integrations.splitlines()[1:]]
    assert rows[0][:2] == ["integration", "module"]
    assert sorted(row[0] for row in rows[1:]) == sorted(i for i, m in _listed_modules())
    assert "\033[" not in ours.stdout
    colored = _cli("run", "--info")
    assert colored.returncode == 0 and "\033[1m" in colored.stdout  # colours unless -nc, as ddtrace-run


def _listed_modules() -> List[Tuple[str, str]]:
    return [(i.name, module) for i in _patching.integrations().values() for module in i.modules]


def test_run_a_command_that_does_not_exist():
    proc = _cli("run", "no-such-command-ddi")
    assert proc.returncode == 127
    assert proc.stderr == "ddtrace-integrations run: command not found: no-such-command-ddi\n"


def test_run_a_script_that_is_not_executable(tmp_path):
    script = tmp_path / "app.py"
    script.write_text("print('app ran')\n")
    script.chmod(0o644)
    for name in (str(script), "app.py"):  # a path, and a bare name in the working directory (as ddtrace-run finds it)
        proc = _cli("run", name, cwd=tmp_path)
        assert proc.returncode == 126, proc.stderr
        assert proc.stderr == (
            f"ddtrace-integrations run: cannot execute {name}: permission denied, the file is not executable; "
            f"did you mean `ddtrace-integrations run python {name}`?\n"
        )
        assert proc.stdout == ""
    proc = _cli("run", sys.executable, str(script))  # the advice works
    assert proc.returncode == 0 and proc.stdout == "app ran\n", proc.stderr
    shell = tmp_path / "job.sh"
    shell.write_text("echo job ran\n")
    proc = _cli("run", str(shell))
    assert proc.returncode == 126
    assert proc.stderr == (
        f"ddtrace-integrations run: cannot execute {shell}: permission denied, the file is not executable; "
        "make it executable (chmod +x) or run it through its interpreter\n"
    )


def test_run_an_executable_without_a_shebang_or_with_a_missing_interpreter(tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("print('x')\n")
    missing = tmp_path / "missing"
    missing.write_text("#!/no/such/interpreter -u\nprint('x')\n")
    for path in (plain, missing):
        path.chmod(0o755)
    proc = _cli("run", str(plain))
    assert proc.returncode == 126
    assert "not a program, and no #! line names its interpreter" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("run", str(missing))
    assert proc.returncode == 126
    assert proc.stderr == (
        f"ddtrace-integrations run: cannot execute {missing}: its interpreter /no/such/interpreter (from its #! "
        "line) was not found\n"
    )
    proc = _cli("run", str(tmp_path))
    assert (proc.returncode, proc.stderr) == (
        126,
        f"ddtrace-integrations run: cannot execute {tmp_path}: it is a directory\n",
    )


def test_run_an_executable_script_runs_it_traced(tmp_path):
    script = tmp_path / "app"
    script.write_text(f"#!{sys.executable}\n" + SPAN_COUNTER + QUERY + OWNER)
    script.chmod(0o755)
    proc = _cli("run", str(script), env={"DD_TRACE_AGENT_URL": os.environ["DD_TRACE_AGENT_URL"]})
    assert proc.returncode == 0, proc.stderr
    assert "owner ddtrace_integrations.publisher" in proc.stdout


# --- list: what is installed, what is supported, what is enabled ---

# The distribution each built-in module comes from, as this suite's .venv installs them (the test extra).
DISTRIBUTIONS = {
    "asyncpg": "asyncpg",
    "psycopg": "psycopg",
    "psycopg2": "psycopg2-binary",
    "mysql.connector": "mysql-connector-python",
    "mysql.connector.aio": "mysql-connector-python",
    "pymysql": "PyMySQL",
    "MySQLdb": "mysqlclient",
    "sqlite3": None,  # the standard library's: no distribution, no version, no extra
    "httpx": "httpx",
    "aiohttp": "aiohttp",
    "requests": "requests",
    "redis": "redis",
    "flask": "Flask",
    "django": "Django",
    "channels.routing": "channels",
    "starlette": "starlette",
    "fastapi": "fastapi",
    "confluent_kafka": "confluent-kafka",
    "aiokafka": "aiokafka",
    "kafka": "kafka-python",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _list_json(env: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    proc = _cli("list", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_list_reports_each_module_as_installed_here():
    rows = _list_json()
    assert [(r["integration"], r["module"]) for r in rows] == sorted(_listed_modules(), key=lambda r: r[0])
    assert {r["module"] for r in rows} == set(DISTRIBUTIONS)
    for row in rows:
        module = row["module"]
        name = DISTRIBUTIONS[module]
        dist = metadata.distribution(name) if name else None  # None: the standard library's
        publisher = _patching._publisher(_patching.BUILTIN[row["integration"]])
        supported = publisher.supported_versions.get(module, "*")
        assert row == {
            "integration": row["integration"],
            "module": module,
            "installed": importlib.util.find_spec(module) is not None,
            "distribution": dist.metadata["Name"] if dist else None,
            "version": dist.version if dist else None,
            "supported": supported,
            "version_supported": version_matches(dist.version, supported) if dist else None,
            "extra": row["extra"],
            "enabled": True,
            "disabled_by": None,
        }
        assert row["installed"] and row["version_supported"] is not False  # the test extra installs supported ones
    table = _cli("list").stdout.splitlines()
    assert table[0].split() == ["integration", "module", "library", "installed", "supported", "enabled", "extra"]
    cells = [line.split() for line in table[1:]]
    expected = [
        [
            r["integration"],
            r["module"],
            r["distribution"] or "-",
            r["version"] or "yes",
            r["supported"].replace("*", "any"),
            "yes",
            r["extra"] or "-",
        ]
        for r in rows
    ]
    assert cells == expected


ENABLED_PROBE = """
import importlib, ddtrace_integrations
for module in ("flask", "httpx", "asyncpg", "kafka", "pymysql"):
    importlib.import_module(module)
patched = ddtrace_integrations.patched()
print("active", sorted(patched))
print("patched", sorted(name for name, modules in patched.items() if modules))
"""


@pytest.mark.parametrize(
    "env",
    [
        {"DD_TRACE_FLASK_ENABLED": "False", "DD_TRACE_KAFKA_PYTHON_ENABLED": "0", "DD_TRACE_PYMYSQL_ENABLED": "yes"},
        {"DD_PATCH_MODULES": "asyncpg:false,httpx:true", "DD_TRACE_HTTPX_ENABLED": "false"},
        {"DD_TRACE_ENABLED": "false"},
    ],
)
def test_list_says_which_integrations_are_enabled_exactly_as_run_patches_them(env):
    rows = {r["integration"]: r for r in _list_json(env)}
    probe = _cli("run", sys.executable, "-c", ENABLED_PROBE, env=env)
    assert probe.returncode == 0, probe.stderr
    probed = ("flask", "httpx", "asyncpg", "kafka_python", "pymysql")
    assert f"patched {sorted(name for name in probed if rows[name]['enabled'])}" in probe.stdout.splitlines()
    assert f"active {sorted(name for name, row in rows.items() if row['enabled'])}" in probe.stdout.splitlines()
    if "DD_TRACE_ENABLED" in env:
        assert {r["disabled_by"] for r in rows.values()} == {"DD_TRACE_ENABLED"}
    elif "DD_PATCH_MODULES" in env:
        assert rows["asyncpg"]["disabled_by"] == "DD_PATCH_MODULES"
        assert rows["httpx"]["enabled"]  # DD_PATCH_MODULES wins over DD_TRACE_HTTPX_ENABLED
    else:
        assert rows["flask"]["disabled_by"] == "DD_TRACE_FLASK_ENABLED"
        assert rows["kafka_python"]["disabled_by"] == "DD_TRACE_KAFKA_PYTHON_ENABLED"
        assert not rows["pymysql"]["enabled"]  # "yes" is not true for ddtrace (only "true" and "1")
        assert rows["asyncpg"]["enabled"] and rows["httpx"]["enabled"]
    table = _cli("list", env=env).stdout
    for name, row in rows.items():
        enabled = "yes" if row["enabled"] else f"no ({row['disabled_by']})"
        assert any(line.split()[0] == name and enabled in line for line in table.splitlines()), (name, enabled)


def test_list_shows_third_party_integrations_installed_or_not(tmp_path):
    """An integration whose library is installed at an unsupported version, and one whose library is absent:
    their publishers import their libraries, so their supported versions are read without importing them."""
    dist = tmp_path / "acme_tracing-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-tracing\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[ddtrace_integrations.plugins]\nacme = acme_tracing:ACME\nghost = acme_tracing:GHOST\n"
    )
    (tmp_path / "acme_tracing.py").write_text(
        "from ddtrace_integrations import Integration\n"
        "ACME = Integration('acme', ('acmelib',), 'acme_publisher', 'acme_plugins')\n"
        "GHOST = Integration('ghost', ('ghostlib.client',), 'ghost_publisher', 'ghost_plugins')\n"
    )
    (tmp_path / "acme_publisher.py").write_text("import acmelib\nsupported_versions = {'acmelib': '>=2.0'}\n")
    (tmp_path / "ghost_publisher.py").write_text(
        "import ghostlib\nsupported_versions: dict = {'ghostlib.client': '~=3.1'}\n"
    )
    (tmp_path / "acmelib").mkdir()
    (tmp_path / "acmelib" / "__init__.py").write_text("raise ImportError('list must not import the library')\n")
    lib = tmp_path / "acmelib-1.5.dist-info"
    lib.mkdir()
    (lib / "METADATA").write_text("Metadata-Version: 2.1\nName: acmelib\nVersion: 1.5\n")
    (lib / "top_level.txt").write_text("acmelib\n")
    env = {"PYTHONPATH": str(tmp_path), "DD_TRACE_GHOST_ENABLED": "false"}
    rows = {r["integration"]: r for r in _list_json(env)}
    assert rows["acme"] == {
        "integration": "acme",
        "module": "acmelib",
        "installed": True,
        "distribution": "acmelib",
        "version": "1.5",
        "supported": ">=2.0",
        "version_supported": False,
        "extra": None,
        "enabled": True,
        "disabled_by": None,
    }
    assert rows["ghost"] == {
        "integration": "ghost",
        "module": "ghostlib.client",
        "installed": False,
        "distribution": None,
        "version": None,
        "supported": "~=3.1",
        "version_supported": None,
        "extra": None,
        "enabled": False,
        "disabled_by": "DD_TRACE_GHOST_ENABLED",
    }
    table = {line.split()[0]: line.split() for line in _cli("list", env=env).stdout.splitlines()}
    assert table["acme"] == ["acme", "acmelib", "acmelib", "1.5", "(unsupported)", ">=2.0", "yes", "-"]
    assert table["ghost"] == ["ghost", "ghostlib.client", "-", "no", "~=3.1", "no", "(DD_TRACE_GHOST_ENABLED)", "-"]


# --- packaging: extras, metadata, README, sdist ---


def _extras() -> Dict[str, List[str]]:
    """Extra -> the distributions it requires, from the installed package's metadata."""
    meta = metadata.metadata("ddtrace-integrations")
    extras: Dict[str, List[str]] = {name: [] for name in meta.get_all("Provides-Extra") or ()}
    for requirement in meta.get_all("Requires-Dist") or ():
        found = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement)
        if found:
            extras[found.group(1)].append(_canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group(0)))
    return extras


def test_every_integration_has_an_extra_under_the_name_list_prints():
    extras = _extras()
    for name, integration in _patching.BUILTIN.items():  # pip install "ddtrace-integrations[<name>]" gets a library
        if all(DISTRIBUTIONS[module] is None for module in integration.modules):
            assert _canonical(name) not in extras, name  # the standard library's: nothing to install
            continue
        libraries = {_canonical(DISTRIBUTIONS[module]) for module in integration.modules}
        assert libraries & set(extras[_canonical(name)]), name
    for row in _list_json():
        if row["extra"] is not None:
            assert _canonical(row["distribution"]) in extras[row["extra"]], row
    # the distribution names too
    for extra, dist in {
        "mysqlclient": "mysqlclient",
        "kafka-python": "kafka-python",
        "confluent-kafka": "confluent-kafka",
    }.items():
        assert extras[extra] == [dist]


def test_package_metadata():
    meta = metadata.metadata("ddtrace-integrations")
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert meta.get_all("License-File") == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("BSD 3-Clause License") and "Datadog, Inc." not in license_text
    classifiers = set(meta.get_all("Classifier") or ())
    for expected in ("Framework :: Flask", "Framework :: Django", "Typing :: Typed"):
        assert expected in classifiers
    versions = {c.rsplit(" ", 1)[-1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")}
    assert versions == {"3.9", "3.10", "3.11", "3.12", "3.13"}
    assert meta["Requires-Python"] == ">=3.9"
    runtime = [r for r in meta.get_all("Requires-Dist") or () if "extra ==" not in r]
    assert sorted(_canonical(re.match(r"[A-Za-z0-9._-]+", r).group(0)) for r in runtime) == ["ddtrace", "wrapt"]
    urls = [u.split(", ", 1)[1] for u in meta.get_all("Project-URL") or ()]
    assert urls and all(u.startswith("https://") for u in urls)


def test_readme_integration_table_matches_list_and_extras():
    readme = (ROOT / "README.md").read_text()
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] in _patching.BUILTIN:
            rows[cells[0]] = cells
    assert set(rows) == set(_patching.BUILTIN)
    extras = _extras()
    for row in _list_json():
        _, extra_cell, modules_cell, versions_cell = rows[row["integration"]]
        assert f"`{row['module']}`" in modules_cell
        assert (row["supported"].replace("*", "any")) in versions_cell
        if row["extra"]:
            assert f"`{row['extra']}`" in extra_cell
        for named in re.findall(r"`([^`]+)`", extra_cell):
            assert _canonical(named) in extras, named
    assert 'pip install "ddtrace-integrations[flask,psycopg]"' in readme


def test_readme_links_work_from_the_package_index():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", readme) + re.findall(r"^\[[^]]+\]:\s*(\S+)", readme, re.M)
    assert targets and all(t.startswith("https://") for t in targets), targets
    assert "../" not in readme
    assert "bash scripts/test" in readme  # .ci/run runs the README's test command
    assert "## Performance" in readme and "| v2 / ddtrace |" in readme


def test_sdist_ships_the_whole_test_tree(tmp_path):
    """Built from a copy of the checkout (building in place would leave an egg-info on the editable path)."""
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".git", ".venv*", ".services", "dist", "build", "*.egg-info", "__pycache__", "*.pyc", ".*_cache"
    )
    shutil.copytree(ROOT, source, ignore=ignore)
    proc = _exec(
        sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (archive,) = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        shipped = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    on_disk = {str(path.relative_to(source)) for path in (source / "tests").rglob("*") if path.is_file()}
    assert {"tests/helpers.py", "tests/conftest.py", "tests/fakes/fakelib_publisher.py"} <= on_disk
    assert on_disk <= shipped, sorted(on_disk - shipped)
    assert {"LICENSE", "README.md", "CONTRIBUTING.md", "docs/differences.md", "pyproject.toml"} <= shipped
    assert not [name for name in shipped if "__pycache__" in name or name.endswith(".pyc")]


def test_the_python_3_9_lookup_of_distributions_agrees_with_the_standard_library():
    from ddtrace_integrations import _inventory

    ours = _inventory._providers_py39()
    stdlib = metadata.packages_distributions()
    for module, distribution in DISTRIBUTIONS.items():
        top = module.partition(".")[0]
        assert ours.get(top) == stdlib.get(top) and (distribution is None) == (top not in stdlib), module
