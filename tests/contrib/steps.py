"""Shared by the parity workloads: each step runs in its own root span, so two runs' traces line up."""

from ddtrace.trace import tracer


def run(steps):
    for name, fn in steps:
        with tracer.trace("workload.step", resource=name):
            try:
                fn()
            except Exception as e:
                print(f"{name}: {type(e).__name__}")


async def run_async(steps):
    for name, fn in steps:
        with tracer.trace("workload.step", resource=name):
            try:
                await fn()
            except Exception as e:
                print(f"{name}: {type(e).__name__}")
