"""The views behind each workload step."""

import asyncio
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


# Set once a /hang view waits: its client may then leave (the tests and the workload wait for it).
hang_started = threading.Event()


async def hang(request):
    """Waits until the client leaves: under ASGI, Django then cancels the request's task, and this await."""
    hang_started.set()
    await asyncio.Event().wait()


class HangView(View):
    async def get(self, request):
        return await hang(request)
