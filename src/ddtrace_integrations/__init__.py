"""ddtrace-integrations: Integration System v2 on top of ddtrace.

``patch(asyncpg=True)`` traces a library with a v2 publisher and its plugins; ``patch_all()`` does so for
every integration not turned off by ``DD_TRACE_<LIB>_ENABLED``/``DD_PATCH_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from ddtrace_integrations._patching import Integration
    from ddtrace_integrations._patching import patch
    from ddtrace_integrations._patching import patch_all
    from ddtrace_integrations._patching import patched
    from ddtrace_integrations._patching import unpatch

__all__ = ["Integration", "patch", "patch_all", "patched", "unpatch"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The API is loaded on first use: ``_patching`` imports ddtrace, which the ``ddtrace-integrations``
    launcher (it only sets PYTHONPATH and execs) and a plain ``import ddtrace_integrations`` need not pay for."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ddtrace_integrations import _patching

    value = globals()[name] = getattr(_patching, name)
    return value
