"""The djapp settings with an async-only middleware in the stack (the daphne parity runs and tests)."""

from djapp.settings import *  # noqa: F403

MIDDLEWARE = [*MIDDLEWARE, "djapp.middleware.async_stamp_middleware"]  # noqa: F405
