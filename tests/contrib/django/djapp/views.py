"""The views behind each workload step."""

import asyncio
import contextlib
import os
import threading

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.http import JsonResponse
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt


def pid(request):
    """The serving process (pre-fork tests: which worker answered)."""
    return HttpResponse(str(os.getpid()))


def index(request):
    return HttpResponse("index")


def user(request, uid):
    name = cache.get(f"user:{uid}")
    if name is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'user' || %s", [uid])
            name = cursor.fetchone()[0]
        cache.set(f"user:{uid}", name)
    return JsonResponse({"id": uid, "name": name})


@method_decorator(csrf_exempt, name="dispatch")
class ItemView(View):
    def get(self, request, name):
        return JsonResponse({"item": name})

    def post(self, request, name):
        return JsonResponse({"created": name, "size": len(request.body)}, status=201)


def template_response(request):
    return TemplateResponse(request, "hello.html", {"name": "world"})


def rendered(request):
    return render(request, "hello.html", {"name": "render"})


async def async_view(request):
    await asyncio.sleep(0)
    return JsonResponse({"async": True})


def ping(request, version):
    return HttpResponse(f"pong v{version}")


def boom(request):
    raise ValueError("boom")


def stream(request):
    return StreamingHttpResponse(f"line {i}\n" for i in range(5))


def headers(request):
    return JsonResponse({k.lower(): v for k, v in request.headers.items()})


def proxied(request):
    return HttpResponse("behind a gateway")


# Set once a /hang view waits: its client may then leave (the tests and the workload wait for it).
hang_started = threading.Event()


async def hang(request):
    """Waits until the client leaves: under ASGI, Django then cancels the request's task, and this await."""
    hang_started.set()
    await asyncio.Event().wait()


class AsyncItemView(View):
    async def get(self, request, name):
        return HttpResponse(f"async {name}")


class HangView(View):
    async def get(self, request):
        return await hang(request)


class Uncomparable:
    """A cached value that cannot be compared with another."""

    def __eq__(self, other):
        raise ValueError("not comparable")

    __hash__ = object.__hash__


class Uncountable:
    """A cached value that has neither a length nor a truth value."""

    def __len__(self):
        raise ValueError("no length")

    def __bool__(self):
        raise ValueError("no truth value")


def cache_counts(request):
    """Cache calls whose spans count the values found (``db.row_count``)."""
    cache.set_many({"hit": "value", "zero": 0, "uncomparable": Uncomparable(), "uncountable": Uncountable()})
    for key in ("hit", "miss", "zero", "uncomparable", "uncountable"):
        cache.get(key)
    cache.get_many(["hit", "zero", "miss"])
    cache.get_many(["miss", "gone"])
    with contextlib.suppress(ValueError):  # a missing key cannot be incremented
        cache.incr("miss")
    return HttpResponse("counted")
