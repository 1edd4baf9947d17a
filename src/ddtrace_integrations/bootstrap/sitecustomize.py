"""Loaded first by ``ddtrace-integrations run`` through PYTHONPATH, like ddtrace-run's own bootstrap."""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
# Step aside so that ddtrace's bootstrap finds (and runs) the application's own sitecustomize, if any.
if _here in sys.path:
    sys.path.remove(_here)
sys.modules.pop("sitecustomize", None)

import ddtrace_integrations.auto  # noqa: E402, F401
