"""ddtrace-integrations: Integration System v2 on top of ddtrace.

``patch(asyncpg=True)`` traces a library with a v2 publisher and its plugins; ``patch_all()`` does so for
every integration not turned off by ``DD_TRACE_<LIB>_ENABLED``/``DD_PATCH_MODULES``.
"""

from ddtrace_integrations._patching import Integration
from ddtrace_integrations._patching import patch
from ddtrace_integrations._patching import patch_all
from ddtrace_integrations._patching import patched
from ddtrace_integrations._patching import unpatch

__all__ = ["Integration", "patch", "patch_all", "patched", "unpatch"]
__version__ = "0.1.0"
