"""The ``ddtrace-integrations`` command, also ``python -m ddtrace_integrations``.

``run <command>`` is ddtrace-run with v2 tracing the libraries it covers, and takes ddtrace-run's flags;
``list`` shows the integrations and their libraries as installed here. Starting a command only sets the
environment and execs it: the launcher imports neither ddtrace nor the tracer (``run --info`` and ``list`` do).
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import sys
from typing import Any
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

PROG = "ddtrace-integrations"
BOOTSTRAP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap")

# A command that cannot be started exits as it would from a POSIX shell (or env(1)): 127 when it is not found,
# 126 when it is found but cannot be executed.  (ddtrace-run exits 1 for both.)  2 is a usage error.
NOT_FOUND = 127
CANNOT_EXECUTE = 126
USAGE_ERROR = 2

RUN_DESCRIPTION = """\
Run a command with Datadog tracing, as ddtrace-run does, with the v2 integrations tracing the libraries
they cover (see `ddtrace-integrations list`) and ddtrace's own integrations tracing every other one.

examples:
  ddtrace-integrations run python app.py
  ddtrace-integrations run gunicorn myproject.wsgi
  ddtrace-integrations run -p uvicorn app:app"""

RUN_EPILOG = f"""\
A command that is not found exits {NOT_FOUND}; one that is found but cannot be executed (for instance a
script without its executable bit: run it with `python script.py`) exits {CANNOT_EXECUTE}."""


def version_text() -> str:
    from importlib.metadata import version

    from ddtrace_integrations import __version__

    try:
        ddtrace = version("ddtrace")
    except Exception:
        ddtrace = "not installed"
    return f"{PROG} {__version__} (ddtrace {ddtrace})"


class _VersionAction(argparse.Action):
    """``--version``, computed only when asked for: reading distribution metadata costs start-up time."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the versions of ddtrace-integrations and ddtrace, and exit")
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option: Any = None) -> None:
        sys.stdout.write(version_text() + "\n")
        parser.exit(0)


def _parser() -> Tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Datadog tracing with the Integration System v2 integrations, on top of ddtrace."
    )
    parser.add_argument("-v", "--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command_name", metavar="<command>", required=True)
    run_parser = sub.add_parser(
        "run",
        help="run a command with Datadog tracing (ddtrace-run's flags)",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        usage=f"{PROG} run [-h] [-d] [-i] [-p] [-nc] [-v] [--show] [--json FILE] <command> [args ...]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_parser.add_argument(
        "-d", "--debug", action="store_true", help="enable ddtrace's debug logging (DD_TRACE_DEBUG)"
    )
    run_parser.add_argument(
        "-i",
        "--info",
        action="store_true",
        help="print ddtrace-run --info's report and the integrations, then exit (reflects the environment only, "
        "not configuration made in code)",
    )
    run_parser.add_argument("-p", "--profiling", action="store_true", help="enable the profiler (DD_PROFILING_ENABLED)")
    run_parser.add_argument("-nc", "--colorless", action="store_true", help="print --info without colours")
    run_parser.add_argument("-v", "--version", action=_VersionAction)
    run_parser.add_argument("--show", action="store_true", help="show each finished trace as a tree with durations")
    run_parser.add_argument("--json", metavar="FILE", help="also write each trace to FILE (one JSON object a line)")
    run_parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, and its arguments")
    list_parser = sub.add_parser(
        "list",
        help="list the integrations, their libraries as installed here, and whether each is enabled",
        description="Each module an integration patches: the library providing it and its installed version, the "
        "versions the integration supports, whether the integration is enabled (DD_TRACE_<NAME>_ENABLED, "
        "DD_PATCH_MODULES, DD_TRACE_ENABLED) and the extra that installs the library: "
        'pip install "ddtrace-integrations[<extra>]".',
    )
    list_parser.add_argument("--json", action="store_true", help="one JSON object per module, for scripts")
    view = sub.add_parser("view", help="receive traces from any number of processes and show them (no agent needed)")
    view.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    view.add_argument("--port", type=int, default=8126, help="port to listen on (default 8126)")
    view.add_argument("--agent", metavar="URL", help="forward everything to the Datadog agent at URL, unchanged")
    view.add_argument("--json", metavar="FILE", help="also write each trace to FILE (one JSON object a line)")
    view.add_argument("--settle", type=float, default=1.0, help="show a trace once quiet this long (seconds)")
    new = sub.add_parser(
        "new",
        help="write the files of a new integration: publisher, plugin, tests, parity workload",
        description="Write a new integration's publisher, plugin, test module, parity test and workload for the "
        "base class of its kind, into a checkout of this repository (docs/writing-an-integration.md).",
    )
    new.add_argument("library", help="the library's module, as imported (e.g. redis)")
    new.add_argument("--kind", required=True, choices=["database", "storage", "http-client", "web", "messaging"])
    new.add_argument("--dir", default=".", help="the repository's root (default: the current directory)")
    compare = sub.add_parser(
        "compare",
        help="run a command under ddtrace-run and under `run`, and show how their spans differ",
        description="Run <command> under ddtrace-run, then under `ddtrace-integrations run`, each sending its traces "
        "to a receiver of its own (nothing reaches a real agent), and print every span difference field by field, "
        "each labelled documented (with its reason in docs/differences.md) or UNEXPECTED. Exits 0 when no "
        "difference is unexpected, 1 otherwise; 127 or 126 when the command cannot be started.",
        usage=f"{PROG} compare [-h] [--json FILE] [--settle SECONDS] [--ignore FIELD] -- <command> [args ...]",
    )
    compare.add_argument("--json", metavar="FILE", help="also write the comparison to FILE as JSON")
    compare.add_argument(
        "--settle",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="after the command ended, wait until no trace came this long (default 1)",
    )
    compare.add_argument(
        "--ignore",
        metavar="FIELD",
        action="append",
        default=[],
        help="leave out differences in FIELD (a pattern: 'meta.http.url', 'meta.peer.*', 'stdout'); repeatable",
    )
    compare.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, and its arguments")
    return parser, run_parser


def _say(message: str) -> None:
    sys.stderr.write(f"{PROG} run: {message}\n")


def _truthy(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("true", "1")  # ddtrace's asbool


def _set_flags(debug: bool, profiling: bool) -> None:
    """ddtrace-run's -d and -p: settings for the command (and for the report of --info)."""
    if profiling:
        os.environ["DD_PROFILING_ENABLED"] = "true"
    if debug:
        os.environ["DD_TRACE_DEBUG"] = "true"


def run(command: List[str], debug: bool = False, profiling: bool = False) -> int:
    """Exec ``command`` with the tracing bootstrap first on PYTHONPATH; returns an exit code only if the
    command cannot be started."""
    _set_flags(debug, profiling)
    trace = _truthy(os.environ.get("DD_TRACE_DEBUG"))  # the launcher says what it does
    name = command[0]
    executable = name if os.path.isfile(name) else shutil.which(name)
    if executable is None:
        if os.sep in name and os.path.isdir(name):
            _say(f"cannot execute {name}: it is a directory")
            return CANNOT_EXECUTE
        _say(f"command not found: {name}")
        return NOT_FOUND
    pythonpath = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = BOOTSTRAP_DIR + (os.pathsep + pythonpath if pythonpath else "")
    if os.path.basename(executable) == "uwsgi":
        _say(
            "uWSGI: as with ddtrace-run, the tracer may not start in uWSGI's workers; see "
            "https://ddtrace.readthedocs.io/en/stable/advanced_usage.html#uwsgi"
        )
    if trace:
        _say(f"executable {executable}, PYTHONPATH={os.environ['PYTHONPATH']}")
    try:
        os.execv(executable, [executable, *command[1:]])
    except OSError as error:
        _say(_exec_failure(name, executable, error))
    return CANNOT_EXECUTE


def _exec_failure(name: str, executable: str, error: OSError, verb: str = "run") -> str:
    hint = f"; did you mean `{PROG} {verb} python {name}`?" if name.endswith(".py") else ""
    if error.errno == errno.EACCES and not os.access(executable, os.X_OK):
        advice = hint or "; make it executable (chmod +x) or run it through its interpreter"
        return f"cannot execute {name}: permission denied, the file is not executable{advice}"
    if error.errno == errno.ENOEXEC:
        return f"cannot execute {name}: not a program, and no #! line names its interpreter{hint}"
    if error.errno == errno.ENOENT:
        interpreter = _shebang(executable)
        if interpreter:
            return f"cannot execute {name}: its interpreter {interpreter} (from its #! line) was not found"
    return f"cannot execute {name}: {error.strerror or error}"


def _shebang(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as file:
            first = file.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode(errors="replace").split()
    return words[0] if words else None


def info(colorless: bool = False) -> int:
    """What ``ddtrace-run --info`` prints (ddtrace's own report, from ddtrace itself), then the integrations."""
    import subprocess

    sys.stdout.flush()
    flags = ["--colorless"] if colorless else []
    code = subprocess.call([sys.executable, "-m", "ddtrace.commands.ddtrace_run", "--info", *flags])
    if code:
        return code
    from ddtrace_integrations import _inventory

    bold, blue, end = ("", "", "") if colorless else ("\033[1m", "\033[94m", "\033[0m")
    rows = _inventory.table(_inventory.libraries()).splitlines()
    from ddtrace_integrations import __version__

    sys.stdout.write(f"\n{blue}{bold}Integrations of {PROG} {__version__} (`{PROG} list`):{end}\n")
    sys.stdout.write("".join(f"    {row}\n" for row in rows))
    return 0


def list_integrations(as_json: bool = False) -> int:
    from ddtrace_integrations import _inventory

    rows = _inventory.libraries()
    if as_json:
        import json

        sys.stdout.write(json.dumps([row.as_dict() for row in rows], indent=2) + "\n")
    else:
        sys.stdout.write(_inventory.table(rows))
    return 0


def new_integration(library: str, kind: str, root: str) -> int:
    from pathlib import Path

    from ddtrace_integrations import _scaffold

    try:
        written = _scaffold.write(library, kind, Path(root))
    except _scaffold.ScaffoldError as error:
        sys.stderr.write(f"{PROG} new: {error}\n")
        return 1
    sys.stdout.write(_scaffold.next_steps(library, kind, written))
    return 0


def _without_dashes(command: List[str]) -> List[str]:
    return command[1:] if command[:1] == ["--"] else command


def main(argv: Optional[List[str]] = None) -> int:
    parser, run_parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    args = parser.parse_args(argv)
    if args.command_name == "list":
        return list_integrations(args.json)
    if args.command_name == "new":
        return new_integration(args.library, args.kind, args.dir)
    if args.command_name == "view":
        from ddtrace_integrations.viewer import view

        return view(args.host, args.port, args.agent, args.json, args.settle)
    if args.command_name == "compare":
        from ddtrace_integrations.compare import compare_command

        return compare_command(_without_dashes(args.command), args.json, args.settle, args.ignore)
    command = _without_dashes(args.command)
    if args.info:  # as ddtrace-run: the report describes the flags' settings, and no command is run
        _set_flags(args.debug, args.profiling)
        return info(args.colorless)
    if not command:
        run_parser.error("no command given")
    if args.show or args.json:
        from ddtrace_integrations.viewer import run_shown

        _set_flags(args.debug, args.profiling)
        return run_shown(command, show=args.show, json_path=args.json)
    return run(command, args.debug, args.profiling)
