"""Cost of tracing one Django request, in one process.

Run: ``python benchmarks/bench_django.py`` (about 20 s) or ``--quick`` (a smoke run).
It prints a table and ratios and asserts nothing about timings. See benchmarks/README.md for the method.

One call: the test client's ``get("/users/7")`` on a project with ``startproject``'s middleware and the apps
it needs, a function view returning text, and the integrations' default settings. Each configuration's state
has its own test client (its middleware chain) and URLconf (views are wrapped when the URLconf is built).
Untraced, bare span (one span with the tags of ddtrace's ``django.request``), ddtrace (its own integration),
v2 and v2 disabled (see _harness.py).
"""

from __future__ import annotations

import os

# Before ddtrace is imported: nothing leaves the process and no background product starts.
os.environ["DD_TRACE_AGENT_URL"] = "http://127.0.0.1:9"
os.environ["DD_INSTRUMENTATION_TELEMETRY_ENABLED"] = "false"
os.environ["DD_REMOTE_CONFIGURATION_ENABLED"] = "false"

import importlib.metadata
import sys
import types
from typing import Any
from typing import List
from typing import Optional

import django
from _harness import Call
from _harness import Case
from _harness import main
from django.conf import settings

MIDDLEWARE = [  # startproject's
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


# django.request, django.view, and a django.middleware span per middleware hook that runs: the seven __call__,
# six process_request (all but XFrameOptions), one process_view (Csrf), six process_response (all but
# Authentication)
SPANS = 22


def configure() -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-not-a-secret",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="bench_urls_untraced",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
        ],
        MIDDLEWARE=MIDDLEWARE,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
    django.setup()


def urlconf(mode: str) -> str:
    return f"bench_urls_{mode}"


def request(mode: str) -> Call:
    """The URLconf (built now: both integrations wrap views as ``path()`` is called) and the client (its
    middleware is loaded, and wrapped, by its first request) of this mode."""
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import path

    def user(request: Any, uid: int) -> HttpResponse:
        return HttpResponse(f"user {uid}")

    module = types.ModuleType(urlconf(mode))
    module.urlpatterns = [path("users/<int:uid>", user, name="user")]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    client = Client()

    def call() -> Any:
        return client.get("/users/7")

    return call


def activate(mode: str) -> None:
    settings.ROOT_URLCONF = urlconf(mode)


def run(argv: Optional[List[str]] = None) -> None:
    configure()
    case = Case("Django request (test client)", "django", "django", request, spans=SPANS, activate=activate)
    main(__doc__, lambda: [case], ("django",), versions=f"django {importlib.metadata.version('django')}", argv=argv)


if __name__ == "__main__":
    run()
