"""``import ddtrace_integrations.auto`` instruments the process like ``ddtrace-integrations run``.

This package also holds the publishers (``auto/<lib>/patch.py``, per the design's layout). The registry
imports those under ``loading_publisher()``, so loading a publisher never bootstraps the tracer.
"""

from ddtrace_integrations import _patching

if not _patching.is_loading_publisher():
    from ddtrace_integrations import _bootstrap

    _bootstrap.start()
