"""What ``ddtrace-integrations run`` and ``import ddtrace_integrations.auto`` do: ddtrace-run, with v2
owning the libraries it covers."""

from __future__ import annotations

from ddtrace_integrations import _ddtrace as dd
from ddtrace_integrations import _patching

log = dd.get_logger(__name__)

_started = False


def start() -> None:
    """v2 first, so that ddtrace's own integrations for the same libraries stay inactive."""
    global _started
    if _started:
        return
    _started = True
    if dd.tracing_enabled():
        _patching.patch_all()
    import ddtrace.auto  # noqa: F401 - ddtrace's bootstrap: tracer, products, every other integration
