"""``benchmarks/run``: every benchmark (one process each), then the startup of ``ddtrace-run`` against
``ddtrace-integrations run``; prints one table, optionally writes it as JSON. Exits 1 when a benchmark failed
(a crash, a wrong span count); the numbers are never judged."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
# name -> (script, whether it reports rows for the table); the plugin-layer benchmark is run so that it keeps
# working, its numbers stay in its own output
BENCHMARKS: Dict[str, Tuple[str, bool]] = {
    "db": ("bench_db.py", True),
    "http": ("bench_http.py", True),
    "requests": ("bench_requests.py", True),
    "redis": ("bench_redis.py", True),
    "sqlite3": ("bench_sqlite3.py", True),
    "flask": ("bench_flask.py", True),
    "django": ("bench_django.py", True),
    "starlette": ("bench_starlette.py", True),
    "kafka": ("bench_kafka.py", True),
    "plugin_layer": ("bench_plugin_layer.py", False),
}
QUIET_ENV = {  # as the benchmarks set it: nothing leaves the process, no background product starts
    "DD_TRACE_AGENT_URL": "http://127.0.0.1:9",
    "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
    "DD_REMOTE_CONFIGURATION_ENABLED": "false",
}
STARTUP = {
    "ddtrace-run": [str(BIN / "ddtrace-run"), sys.executable, "-c", "pass"],
    "ddtrace-integrations run": [str(BIN / "ddtrace-integrations"), "run", sys.executable, "-c", "pass"],
}


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run (well under 2 minutes)")
    parser.add_argument("--json", metavar="PATH", help="write the per-call CPU overheads and the startup times")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per call under callgrind instead (no startup)"
    )
    parser.add_argument(
        "--cycles",
        action="store_true",
        help="estimate CPU cycles per call with callgrind's cache and branch simulation instead (no startup)",
    )
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--no-startup", action="store_true", help="skip the startup measurement")
    parser.add_argument("--pairs", type=int, help="startup: ABAB pairs (default 3 quick, 15 full)")
    parser.add_argument("--rounds", type=int, help="passed on to every benchmark")
    parser.add_argument("--round-time", type=float, help="passed on to every benchmark")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every benchmark's own report")
    return parser.parse_args(argv)


def run_benchmark(name: str, args: argparse.Namespace) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """The rows one benchmark reported, and what went wrong (None: nothing)."""
    script, rows = BENCHMARKS[name]
    command = [sys.executable, str(HERE / script)]
    command += ["--quick"] if args.quick else []
    command += ["--cycles"] if args.cycles else ["--instructions"] if args.instructions else []
    command += ["--rounds", str(args.rounds)] if args.rounds else []
    command += ["--round-time", str(args.round_time)] if args.round_time else []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command + (["--json", str(out)] if rows else []),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=7200 if args.cycles else 3600 if args.instructions else 300 if args.quick else 1800,
            )
        except subprocess.TimeoutExpired as e:
            return [], f"timed out after {e.timeout:.0f}s"
        failed = f"exited {done.returncode}" if done.returncode else None
        print(f"== {script}: {time.perf_counter() - start:.1f}s" + (f", FAILED ({failed})" if failed else ""))
        if failed or args.verbose:
            print(done.stdout)
        if rows and not failed:
            return json.loads(out.read_text())["calls"], None
        return [], failed


def startup(pairs: int) -> Dict[str, List[float]]:
    """Wall seconds of each command, run in pairs A B A B ... (so drift hits both alike)."""
    env = {**os.environ, **QUIET_ENV}
    seconds: Dict[str, List[float]] = {name: [] for name in STARTUP}
    for _ in range(pairs):
        for name, command in STARTUP.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "n/a"


def table(rows: List[Dict[str, Any]], key: str) -> None:
    """One row per call: the untraced call and each overhead over it, median CPU µs of the calling thread
    (``cpu_us``), or instructions or estimated cycles, in thousands (``instructions``, ``cycles``: no allocation
    columns)."""
    cpu = key == "cpu_us"
    counted = "untraced k instr." if key == "instructions" else "untraced k cycles (est.)"
    untraced, alloc_header = ("untraced µs", " alloc B ddtrace | alloc B v2 |") if cpu else (counted, "")
    columns = "bare span | ddtrace | v2 | v2 disabled | v2 / ddtrace | v2 / bare span |"
    print(f"| call | spans | {untraced} | {columns}{alloc_header}")
    print("|---" * (11 if cpu else 9) + "|")
    for row in rows:
        values = row[key] if cpu else {k: v / 1000 for k, v in row[key].items()}
        cells = [row["call"], str(row["spans"])]
        cells += [f"{values[k]:.1f}" for k in ("untraced", "bare_span", "ddtrace", "v2", "v2_disabled")]
        cells += [ratio(values["v2"], values["ddtrace"]), ratio(values["v2"], values["bare_span"])]
        if cpu:
            cells += [f"{row['alloc_bytes']['ddtrace']:.0f}", f"{row['alloc_bytes']['v2']:.0f}"]
        print("| " + " | ".join(cells) + " |")
    # The matched bare spans (``bare_propagating``, ``bare_acknowledged``; benchmarks/README "The configurations"):
    # what both integrations do on every such call, and the bare span does not.
    for kind in sorted({k for row in rows for k in row[key] if k.startswith("bare_") and k != "bare_span"}):
        matched = [row for row in rows if kind in row[key]]
        print(f"\n| call | {kind} | v2 | v2 / that |\n|---|---|---|---|")
        for row in matched:
            values = row[key] if cpu else {k: v / 1000 for k, v in row[key].items()}
            bare, v2 = values[kind], values["v2"]
            print(f"| {row['call']} | {bare:.1f} | {v2:.1f} | {ratio(v2, bare)} |")


def main(argv: Optional[List[str]] = None) -> None:
    args = parse(argv)
    names = args.only or list(BENCHMARKS)
    counting = args.instructions or args.cycles
    if counting and sys.version_info < (3, 11):
        version = sys.version.split()[0]
        print(f"--instructions/--cycles need Python 3.11+ (operator.call); this is {version}: nothing measured")
        return
    rows: List[Dict[str, Any]] = []
    failures = []
    for name in names:
        found, failed = run_benchmark(name, args)
        rows += found
        if failed:
            failures.append(f"{BENCHMARKS[name][0]}: {failed}")
    seconds: Dict[str, List[float]] = {}
    if not args.no_startup and not counting:
        seconds = startup(args.pairs or (3 if args.quick else 15))
    print()
    print(
        f"{datetime.date.today()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        + (" (--quick: smoke run, numbers are rough)" if args.quick else "")
    )
    key = "cycles" if args.cycles else "instructions" if args.instructions else "cpu_us"
    if counting:
        what = "Estimated cycles (callgrind's cache and branch simulation)" if args.cycles else "Instructions"
        print(
            f"{what} per call, thousands (callgrind, this process's calling thread only): untraced = the whole"
            " call, the others = overhead over it"
        )
    else:
        print(
            "CPU µs per call (median over interleaved rounds): untraced = the whole call, the others = overhead over"
            " it; alloc = bytes allocated during one call over untraced (tracemalloc peak)"
        )
    table(rows, key)
    print(
        "(bare span: one span with the tags of ddtrace's root span; where a call makes more spans, v2 / bare span"
        " compares a tree with one span)"
    )
    startup_s = {name: statistics.median(values) for name, values in seconds.items()}
    if seconds:
        a, b = seconds.values()
        pairs = ", ".join(f"{n} {s:.3f}s" for n, s in startup_s.items())
        print(
            f"\nstartup of `... python -c pass`, median of {len(a)} ABAB pairs: {pairs}; "
            f"median ratio {statistics.median(y / x for x, y in zip(a, b)):.2f}"
        )
    if args.json:
        calls = [{"call": row["call"], key: row[key]} for row in rows]
        Path(args.json).write_text(json.dumps({"calls": calls, "startup_s": startup_s}, indent=1) + "\n")
    if failures:
        print("\nbenchmarks/run: FAILED: " + "; ".join(failures), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
