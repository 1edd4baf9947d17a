"""requests under load against a real loopback server in another process: 64 threads on one ``Session``, each
request under its own root span to its own path. Each trace holds its own request only, with its own tags."""

from __future__ import annotations

import requests
from helpers import TASK_ROOT
from helpers import assert_task_traces
from helpers import in_threads
from helpers import marker
from helpers import patched_fixture
from helpers import task_root

THREADS, CALLS_PER_THREAD = 64, 20
CHECKED = ["http.url", "http.status_code", "component"]

patched = patched_fixture(requests=True)


def test_64_threads_each_trace_their_own_request(patched, spans, echo):
    def spans_of(own: str) -> list:
        meta = {"http.url": f"{echo}/{own}", "http.status_code": "200", "component": "requests"}
        return [("requests.request", f"GET /{own}", TASK_ROOT, meta)]

    with requests.Session() as session:
        session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=THREADS))

        def call(i: int) -> str:
            with task_root(i):
                return session.get(f"{echo}/{marker(i)}", timeout=60).text

        results = in_threads(THREADS, CALLS_PER_THREAD, call)
    assert results == [f"/{marker(i)}" for i in range(THREADS * CALLS_PER_THREAD)]
    assert_task_traces(spans.spans, THREADS * CALLS_PER_THREAD, spans_of, CHECKED)


def test_64_threads_each_send_their_own_trace_context(patched, spans, base):
    """Propagation headers go on a copy per call: no thread's request carries another's context."""
    with requests.Session() as session:
        session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=THREADS))

        def call(i: int) -> tuple:
            with task_root(i):
                seen = session.get(f"{base}/headers?m={marker(i)}", timeout=60).json()
            return marker(i), seen["x-datadog-parent-id"]

        results = in_threads(THREADS, 2, call)
    by_url = {s.get_tag("http.url"): s for s in spans.named("requests.request")}
    assert len(by_url) == THREADS * 2
    for own, parent_id in results:
        assert parent_id == str(by_url[f"{base}/headers?m={own}"].span_id)
