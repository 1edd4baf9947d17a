"""Shared by the benchmarks: spans go nowhere (every tracer processor still runs); interleaved timing; the report.

Configurations are named ``<prefix>_<kind>``: ``untraced``, ``bare_span``, ``ddtrace``, ``v2``, ``v2_disabled``;
each is measured against its prefix's ``untraced``."""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import statistics
import time
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional
from typing import Sequence
from typing import Tuple

from ddtrace.internal.writer import TraceWriter
from ddtrace.trace import tracer


class NullWriter(TraceWriter):
    """Replaces the agent writer: ddtrace's whole span/trace path runs, nothing is encoded or sent."""

    def __init__(self) -> None:
        self.spans = 0
        self.last: Sequence[Any] = ()

    def recreate(self, appsec_enabled: Optional[bool] = None, llmobs_enabled: Optional[bool] = None) -> NullWriter:
        return self

    def stop(self, timeout: Optional[float] = None) -> None:
        pass

    def write(self, spans: Optional[Sequence[Any]] = None) -> None:
        if spans:
            self.spans += len(spans)
            self.last = spans

    def flush_queue(self) -> None:
        pass


def install_null_writer() -> NullWriter:
    aggregator = tracer._span_aggregator
    old = aggregator.writer
    writer = aggregator.writer = NullWriter()
    with contextlib.suppress(Exception):  # a writer that never started has nothing to stop
        old.stop()
    return writer


def baseline(name: str) -> Optional[str]:
    """What a configuration is measured against (overhead = its median - its baseline's median)."""
    if name.startswith("(") or name.endswith("_untraced"):
        return None
    return name.split("_", 1)[0] + "_untraced"


# --- timing: wall clock (perf_counter_ns) and this thread's CPU time (thread_time_ns) for the same calls ---

Samples = Dict[str, Dict[str, List[float]]]  # clock ("wall", "cpu") -> configuration -> per-call ns per round


def timed(loop: Callable[[int], None], n: int) -> Tuple[int, int]:
    gc.collect()
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    loop(n)
    return time.perf_counter_ns() - wall, time.thread_time_ns() - cpu


def calibrate(loop: Callable[[int], None], round_s: float, warmup_s: float) -> int:
    """Warm the loop up, then pick N so that one round of N calls lasts about ``round_s``."""
    n = 16
    while True:
        elapsed, _ = timed(loop, n)
        if elapsed >= warmup_s * 1e9 or n >= 1 << 26:
            break
        n *= 2
    per_call = max(elapsed / n, 1.0)
    return max(50, int(round_s * 1e9 / per_call))


def measure(
    loops: Dict[str, Callable[[int], None]],
    writer: NullWriter,
    rounds: int,
    round_s: float,
    warmup_s: float,
    set_listeners: Callable[[str], None],
) -> Tuple[Samples, Dict[str, float]]:
    """Interleaved rounds (each round times every configuration once), so drift hits all of them alike. The order
    is shuffled in each round (fixed seed), so no configuration always runs right after the same one."""
    sizes: Dict[str, int] = {}
    for name, loop in loops.items():
        set_listeners(name)
        sizes[name] = calibrate(loop, round_s, warmup_s)
    samples: Samples = {clock: {name: [] for name in loops} for clock in ("wall", "cpu")}
    spans: Dict[str, int] = dict.fromkeys(loops, 0)
    order, shuffle = list(loops), random.Random(0).shuffle
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            loop = loops[name]
            set_listeners(name)
            before = writer.spans
            wall, cpu = timed(loop, sizes[name])
            samples["wall"][name].append(wall / sizes[name])
            samples["cpu"][name].append(cpu / sizes[name])
            spans[name] += writer.spans - before
    spans_per_call = {name: spans[name] / (sizes[name] * rounds) for name in loops}
    return samples, spans_per_call


# --- what each configuration produces, checked once before timing ---


def describe_spans(
    loops: Dict[str, Callable[[int], None]],
    writer: NullWriter,
    set_listeners: Callable[[str], None],
    labels: Dict[str, str],
) -> None:
    print("Span produced by one call (checked before timing):")
    seen: Dict[str, Any] = {}
    for name, loop in loops.items():
        set_listeners(name)
        before = writer.spans
        loop(1)
        made = writer.spans - before
        span = seen[name] = writer.last[0] if made else None
        if span is None:
            print(f"  {name:<15} no span")
            continue
        tags, metrics = span.get_tags(), span.get_metrics()
        print(
            f"  {name:<15} {made} span: {span.name} service={span.service} resource={span.resource!r} "
            f"meta={len(tags)} metrics={len(metrics)} component={tags.get('component')}"
        )
    for prefix in labels:
        a, b = seen.get(f"{prefix}_v2"), seen.get(f"{prefix}_ddtrace")
        if a is None or b is None:
            continue
        keys_a = set(a.get_tags()) | set(a.get_metrics())
        keys_b = set(b.get_tags()) | set(b.get_metrics())
        print(f"  keys only on {prefix}_v2: {sorted(keys_a - keys_b) or '-'}")
        only_b = {k: b.get_tag(k) for k in sorted(keys_b - keys_a)}
        print(f"  keys only on {prefix}_ddtrace: {only_b or '-'}")
    print()


# --- report ---


def us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def report(samples: Samples, spans_per_call: Dict[str, float], rounds: int, labels: Dict[str, str]) -> None:
    """``labels``: configuration prefix -> library name, e.g. {"pg": "psycopg2"}."""
    med = {clock: {name: statistics.median(v) for name, v in per.items()} for clock, per in samples.items()}

    def over(clock: str, name: str) -> float:
        return med[clock][name] - med[clock][baseline(name) or name]

    def paired(name: str) -> List[float]:
        """Wall traced - untraced within each round: how much that difference moves between rounds."""
        base = samples["wall"][baseline(name) or name]
        return [t - u for t, u in zip(samples["wall"][name], base)]

    print(f"Per-call time in us, median of {rounds} rounds; overhead = median - the driver's untraced median")
    print("  wall = perf_counter_ns (includes any server round trip); cpu = thread_time_ns of this thread")
    header = (
        f"{'configuration':<16}{'wall':>8}{'min':>8}{'max':>8}{'wall ovh':>10}{'per-round range':>18}"
        f"{'cpu':>8}{'cpu ovh':>9}{'spans/call':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, wall in samples["wall"].items():
        if baseline(name):
            diffs = paired(name)
            wall_ovh, cpu_ovh = us(over("wall", name)), us(over("cpu", name))
            spread = f"{us(min(diffs))}..{us(max(diffs))}"
        else:
            wall_ovh = spread = cpu_ovh = "-"
        print(
            f"{name:<16}{us(med['wall'][name]):>8}{us(min(wall)):>8}{us(max(wall)):>8}{wall_ovh:>10}{spread:>18}"
            f"{us(med['cpu'][name]):>8}{cpu_ovh:>9}{spans_per_call[name]:>12.2f}"
        )
    print()

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}" if b > 0 else "n/a"

    print("Ratios of medians: wall totals, wall overheads, cpu overheads (traced - untraced of each side)")
    print(f"  {'':<30}{'wall':>8}{'wall ovh':>10}{'cpu ovh':>9}")
    for prefix in labels:
        if f"{prefix}_untraced" not in med["wall"]:
            continue
        v2, dd, bare = f"{prefix}_v2", f"{prefix}_ddtrace", f"{prefix}_bare_span"
        for a, b in ((v2, dd), (v2, bare), (dd, bare)):
            cells = (
                ratio(med["wall"][a], med["wall"][b]),
                ratio(over("wall", a), over("wall", b)),
                ratio(over("cpu", a), over("cpu", b)),
            )
            print(f"  {a + ' / ' + b:<30}{cells[0]:>8}{cells[1]:>10}{cells[2]:>9}")
    print()
    print("Per-call overhead over untraced, us (wall / cpu):")
    columns = ("bare_span", "ddtrace", "v2", "v2_disabled")
    print(f"  {'':<10}{'untraced':>15}" + "".join(f"{c:>15}" for c in columns))
    for prefix, label in labels.items():
        if f"{prefix}_untraced" not in med["wall"]:
            continue
        untraced = f"{prefix}_untraced"
        cells = [f"{us(med['wall'][untraced])} / {us(med['cpu'][untraced])}"]
        cells += [f"{us(over('wall', f'{prefix}_{c}'))} / {us(over('cpu', f'{prefix}_{c}'))}" for c in columns]
        print(f"  {label:<10}" + "".join(f"{c:>15}" for c in cells))
    print(f"  (empty loop, included in every row: {us(med['wall']['(empty loop)'])} us)")


def arguments(
    doc: Optional[str], default_rounds: int, argv: Optional[List[str]], *extra: Tuple[str, str]
) -> Tuple[argparse.Namespace, int, float, float]:
    """The options every benchmark takes (plus ``extra`` switches: (flag, help)): the parsed arguments,
    rounds, seconds per round and warm-up seconds."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 short rounds (a few seconds)")
    parser.add_argument("--rounds", type=int, help=f"timed rounds per configuration (default {default_rounds})")
    parser.add_argument("--round-time", type=float, help="seconds per round per configuration (default 0.2)")
    for flag, text in extra:
        parser.add_argument(flag, action="store_true", help=text)
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else default_rounds)
    return args, rounds, args.round_time or (0.05 if args.quick else 0.2), 0.02 if args.quick else 0.1
