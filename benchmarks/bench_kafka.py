"""Cost of tracing one confluent-kafka ``Producer.produce`` against the local broker (Tansu), in one process.

Run: ``python benchmarks/bench_kafka.py`` (about 30 s) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

Configurations, each a loop of ``N`` calls of ``producer.produce(topic, b"value", b"key")`` (plus, every
1024 calls, ``poll(0)`` to serve delivery reports), on a producer made once:
  kf_untraced      librdkafka's own ``Producer`` class, taken before anything was patched
  kf_bare_span     ``with tracer.trace(...)`` around the plain call, five tags set by hand
  kf_ddtrace       ddtrace's ``TracedProducer`` with ddtrace's ``traced_produce`` wrapper
  kf_v2            v2's producer class (``ddtrace_integrations.patch(kafka=True)``)
  kf_v2_disabled   the same v2 producer with the Kafka plugins shut down (wrappers stay, nobody listens)

v2 claims the ``kafka`` integration, which unpatches ddtrace's; so ddtrace's produce wrapper is put back on
its ``TracedProducer`` by hand, with ddtrace's own function, exactly as ddtrace's ``patch()`` does. Between
timed rounds (untimed) every producer is flushed, so the local queue never fills.
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import sys
import time
import uuid
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

import confluent_kafka
import ddtrace
from _harness import arguments
from _harness import describe_spans
from _harness import install_null_writer
from _harness import measure
from _harness import report
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin import NewTopic
from ddtrace.contrib.internal import trace_utils
from ddtrace.contrib.internal.kafka import patch as ddtrace_kafka
from ddtrace.trace import tracer

import ddtrace_integrations
from ddtrace_integrations import tracing_plugins

SERVERS = os.environ.get("DDI_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
CONF = {"bootstrap.servers": SERVERS, "queue.buffering.max.messages": 1_000_000, "linger.ms": 20}
PLUGINS = "ddtrace_integrations.tracing_plugins.contrib.kafka"
producers: List[Any] = []


def producer_loop(producer: Any, topic: str) -> Callable[[int], None]:
    def loop(n: int) -> None:
        produce, poll = producer.produce, producer.poll
        for i in range(n):
            produce(topic, b"value", b"key")
            if not i & 1023:
                poll(0)

    return loop


def bare_span_loop(producer: Any, topic: str) -> Callable[[int], None]:
    trace = tracer.trace

    def loop(n: int) -> None:
        produce, poll = producer.produce, producer.poll
        for i in range(n):
            with trace("kafka.produce", service="kafka", span_type="worker") as span:
                span.set_tag("component", "kafka")
                span.set_tag("span.kind", "producer")
                span.set_tag("messaging.system", "kafka")
                span.set_tag("kafka.topic", topic)
                span.set_tag("kafka.message_key", "key")
                produce(topic, b"value", b"key")
            if not i & 1023:
                poll(0)

    return loop


def make_loops(topic: str) -> Dict[str, Callable[[int], None]]:
    """The producers, made in the order that keeps the three kinds apart (see the module's docstring)."""
    raw = confluent_kafka.Producer(CONF)
    ddtrace_integrations.patch(kafka=True)
    v2 = confluent_kafka.Producer(CONF)
    trace_utils.wrap(ddtrace_kafka.TracedProducer, "produce", ddtrace_kafka.traced_produce)
    dd = ddtrace_kafka.TracedProducer(CONF)
    if type(raw) is not confluent_kafka.cimpl.Producer or type(v2).__module__ != "confluent_kafka":
        raise SystemExit(f"set-up is wrong: raw {type(raw)}, v2 {type(v2)}")
    producers.extend((raw, v2, dd))

    def empty(n: int) -> None:
        for _ in range(n):
            pass

    v2_loop = producer_loop(v2, topic)
    return {
        "(empty loop)": empty,
        "kf_untraced": producer_loop(raw, topic),
        "kf_bare_span": bare_span_loop(raw, topic),
        "kf_ddtrace": producer_loop(dd, topic),
        "kf_v2": v2_loop,
        "kf_v2_disabled": v2_loop,  # same code and producer, nobody listening
    }


def set_listeners(name: str) -> None:
    """Before every timed round (untimed): drain the producers, then let v2's plugins listen or not."""
    for producer in producers:
        producer.flush(30)
    if name == "kf_v2_disabled":
        tracing_plugins.shutdown(PLUGINS)
    else:
        tracing_plugins.initialize(PLUGINS)


def main(argv: Optional[List[str]] = None) -> None:
    _, rounds, round_s, warmup_s = arguments(__doc__, 15, argv)

    topic = f"ddi-bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": SERVERS})
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(10)
    writer = install_null_writer()
    loops = make_loops(topic)
    print(
        f"python {sys.version.split()[0]}, ddtrace {ddtrace.__version__}, ddtrace-integrations "
        f"{ddtrace_integrations.__version__}, confluent-kafka {confluent_kafka.version()[0]}; broker {SERVERS}; "
        f"{rounds} rounds x ~{round_s}s per configuration; spans go to a NullWriter (nothing sent)"
    )
    print()
    labels = {"kf": "confluent"}
    describe_spans(loops, writer, set_listeners, labels)
    start = time.perf_counter()
    samples, spans_per_call = measure(loops, writer, rounds, round_s, warmup_s, set_listeners)
    report(samples, spans_per_call, rounds, labels)
    print(f"\nmeasured in {time.perf_counter() - start:.1f}s")
    for producer in producers:
        producer.flush(30)


if __name__ == "__main__":
    main()
