"""Shared by the parity workloads: each step runs in its own root span, so two runs' traces line up."""

import os
import time

from ddtrace.trace import tracer

# The fault-injection tests (tests/contrib/test_faults.py) compare the application's own exceptions by type and
# message; the parity tests compare types only (a message may echo a run's DBM comment).
MESSAGES = os.environ.get("DDI_WORKLOAD_MESSAGES") == "1"
RUN = os.environ.get("DDI_RUN_ID", "")


def own(name, sep="-"):
    """``name`` (a topic, a consumer group, a key prefix, a stored procedure: names every run on the shared services
    would use) made this suite run's own (``DDI_RUN_ID``, tests/conftest.py): two runs at once on one machine, whose
    workloads delete and recreate their topics, never meet there. Run by hand, a workload keeps the plain names. ``sep``
    joins them (``_`` where the name must be an SQL identifier)."""
    return f"{name}{sep}{RUN}" if RUN else name


def failed(name, e):
    print(f"{name}: {type(e).__name__}" + (f": {e}" if MESSAGES else ""))


def run(steps):
    for name, fn in steps:
        with tracer.trace("workload.step", resource=name):
            try:
                fn()
            except Exception as e:
                failed(name, e)


async def run_async(steps):
    for name, fn in steps:
        with tracer.trace("workload.step", resource=name):
            try:
                await fn()
            except Exception as e:
                failed(name, e)


def through_gateway(path, resource_path):
    """The headers an AWS API Gateway adds (inferred proxy spans), plus a caller's distributed context."""
    return {
        "x-dd-proxy": "aws-apigateway",
        "x-dd-proxy-request-time-ms": str(int(time.time() * 1000)),
        "x-dd-proxy-path": f"/prod{path}",
        "x-dd-proxy-resource-path": resource_path,
        "x-dd-proxy-httpmethod": "GET",
        "x-dd-proxy-domain-name": "gw.example.com",
        "x-dd-proxy-stage": "prod",
        "x-dd-proxy-api-id": "a1b2c3",
        "x-dd-proxy-region": "eu-west-1",
        "x-datadog-trace-id": "4321",
        "x-datadog-parent-id": "8765",
        "x-datadog-sampling-priority": "1",
    }
