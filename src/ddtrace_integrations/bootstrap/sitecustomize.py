"""Loaded first by ``ddtrace-integrations run`` through PYTHONPATH, like ddtrace-run's own bootstrap."""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
# Step aside so that ddtrace's bootstrap finds (and runs) the application's own sitecustomize, if any.
if _here in sys.path:
    sys.path.remove(_here)
_self = sys.modules.pop("sitecustomize", None)

import ddtrace_integrations.auto  # noqa: E402, F401

# The import system reads sys.modules["sitecustomize"] when this module finishes: keep the application's
# module there if one was loaded, ours otherwise.
sys.modules.setdefault("sitecustomize", _self)  # type: ignore[arg-type]
