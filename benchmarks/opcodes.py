"""Where a configuration's work goes, function by function: Python bytecode executed per call.

Run: ``python benchmarks/opcodes.py bench_http httpx [TOP]`` (a benchmark module and one case's prefix).
The benchmark sets up as usual; then each of its bare span, ddtrace and v2 configurations runs 20 calls under a
trace function counting the bytecode each function executes. It prints, per function, what ddtrace and v2 execute
beyond the bare span. Bytecode is not time (C work, such as the tracer's native parts, is not counted), but the
count repeats exactly and names the Python function that did the work: what ``--instructions`` cannot tell apart.
"""

from __future__ import annotations

import collections
import importlib
import sys
from types import FrameType
from typing import Any
from typing import Callable
from typing import Counter
from typing import Dict
from typing import Optional
from typing import Sequence
from typing import Tuple

import _harness

CALLS = 20
KINDS = ("bare_span", "ddtrace", "v2")
Where = Tuple[str, str]


def _where(frame: FrameType) -> Where:
    path = frame.f_code.co_filename
    for marker in ("site-packages/", "src/"):
        path = path.split(marker)[-1]
    return path, frame.f_code.co_name


def bytecode(loop: Callable[[int], None], calls: int) -> Counter[Where]:
    """Bytecode instructions each function executed during ``loop(calls)``."""
    counts: Counter[Where] = collections.Counter()

    def step(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            counts[_where(frame)] += 1
        return step

    def enter(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return step

    sys.settrace(enter)
    try:
        loop(calls)
    finally:
        sys.settrace(None)
    return counts


def report(prefix: str, results: Dict[str, Counter[Where]], top: int) -> None:
    for kind in KINDS:
        print(f"{prefix}_{kind}: {sum(results[kind].values()) / CALLS:.0f} bytecodes per call")
    bare = results["bare_span"]
    rows = []
    for where in set(results["v2"]) | set(results["ddtrace"]) | set(bare):
        v2 = (results["v2"][where] - bare[where]) / CALLS
        ddtrace = (results["ddtrace"][where] - bare[where]) / CALLS
        if v2 or ddtrace:
            rows.append((v2, ddtrace, where))
    rows.sort(key=lambda row: -max(abs(row[0]), abs(row[1])))
    print(f"\n{'v2 - bare':>10} {'ddtrace - bare':>15}  function")
    for v2, ddtrace, (path, name) in rows[:top]:
        print(f"{v2:10.1f} {ddtrace:15.1f}  {path}:{name}")


def main(argv: Sequence[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    module, prefix = importlib.import_module(argv[0]), argv[1]
    top = int(argv[2]) if len(argv) == 3 else 40
    writer = _harness.install_null_writer()

    def counted(
        doc: Optional[str],
        cases: Callable[[], Sequence[Any]],
        packages: Sequence[str],
        *,
        extra: Callable[[], Sequence[Any]] = tuple,
        **_: Any,
    ) -> None:
        """Stands in for ``_harness.main``: the benchmark's own ``run`` sets up its servers around it."""
        bench = _harness.Bench(cases(), packages, extra(), writer)
        try:
            bench.set_up()
            loops = bench.loops()
            results = {}
            for kind in KINDS:
                name = f"{prefix}_{kind}"
                bench.configure(name)
                bench_loop = loops[name]
                bench_loop(5)  # warm: lazy imports and first-call work are not what one call costs
                results[kind] = bytecode(bench_loop, CALLS)
            report(prefix, results, top)
        finally:
            bench.close()

    setattr(module, "main", counted)  # noqa: B010  # the benchmark calls the name it imported
    module.run([])


if __name__ == "__main__":
    main(sys.argv[1:])
