"""``ddtrace-integrations run <command>``: ddtrace-run, with v2 tracing the libraries it covers."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import List
from typing import Optional

BOOTSTRAP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ddtrace-integrations")
    sub = parser.add_subparsers(dest="command_name", required=True)
    run = sub.add_parser("run", help="run a command with Datadog tracing (v2 integrations)")
    run.add_argument("-d", "--debug", action="store_true", help="enable ddtrace debug logging")
    run.add_argument("--show", action="store_true", help="show each finished trace as a tree with durations")
    run.add_argument("--json", metavar="FILE", help="also write each trace to FILE (one JSON object a line)")
    run.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, e.g. python app.py")
    sub.add_parser("list", help="list the integrations this package provides")
    view = sub.add_parser("view", help="receive traces from any number of processes and show them (no agent needed)")
    view.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    view.add_argument("--port", type=int, default=8126, help="port to listen on (default 8126)")
    view.add_argument("--agent", metavar="URL", help="forward everything to the Datadog agent at URL, unchanged")
    view.add_argument("--json", metavar="FILE", help="also write each trace to FILE (one JSON object a line)")
    view.add_argument("--settle", type=float, default=1.0, help="show a trace once quiet this long (seconds)")
    return parser


def run(command: List[str], debug: bool = False) -> None:
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise SystemExit("ddtrace-integrations run: no command given")
    executable = command[0] if os.path.isfile(command[0]) else shutil.which(command[0])
    if executable is None:
        raise SystemExit(f"ddtrace-integrations run: command not found: {command[0]}")
    pythonpath = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = BOOTSTRAP_DIR + (os.pathsep + pythonpath if pythonpath else "")
    if debug:
        os.environ["DD_TRACE_DEBUG"] = "true"
    os.execl(executable, executable, *command[1:])


def main(argv: Optional[List[str]] = None) -> None:
    args = _parser().parse_args(argv)
    if args.command_name == "run" and (args.show or args.json):
        from ddtrace_integrations.viewer import run_shown

        raise SystemExit(run_shown(args.command, args.debug, show=args.show, json_path=args.json))
    if args.command_name == "view":
        from ddtrace_integrations.viewer import view

        raise SystemExit(view(args.host, args.port, args.agent, args.json, args.settle))
    if args.command_name == "run":
        run(args.command, args.debug)
    else:
        from ddtrace_integrations._patching import integrations

        for name, integration in sorted(integrations().items()):
            sys.stdout.write(f"{name}\t{','.join(integration.modules)}\n")
