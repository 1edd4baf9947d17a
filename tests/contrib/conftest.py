"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from http_server import serve
from http_server import serving_in_child

import ddtrace_integrations


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """The base URL of a real loopback HTTP server (tests/contrib/http_server.py)."""
    server, url = serve()
    yield url
    server.shutdown()


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    """The base URL of the same server in a child process: the HTTP clients' load tests, whose thousands of
    requests must not share this process's CPU and GIL with their server."""
    with serving_in_child() as url:
        yield url


@pytest.fixture(scope="session")
def django_app() -> Iterator[None]:
    """Django patched, then set up, then the djapp URLconf imported (as under ``ddtrace-integrations run``), once
    for every Django test module: views are traced when ``path()`` and ``View.as_view()`` register them, so the
    URLconf, imported once per process, must be imported patched and stay patched."""
    import django

    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(Path(__file__).parent / "django"))  # holds the djapp package
        mp.setenv("DJANGO_SETTINGS_MODULE", "djapp.settings")
        ddtrace_integrations.patch(django=True)
        try:
            django.setup()
            import djapp.urls  # noqa: F401  the views are traced as path() and as_view() register them

            yield
        finally:
            ddtrace_integrations.unpatch(django=True)
