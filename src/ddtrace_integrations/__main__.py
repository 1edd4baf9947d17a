"""``python -m ddtrace_integrations``: the ``ddtrace-integrations`` command."""

import sys

from ddtrace_integrations.cli import main

if __name__ == "__main__":
    sys.exit(main())
