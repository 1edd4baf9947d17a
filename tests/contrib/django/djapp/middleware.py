"""A class middleware with every hook and a function middleware, both sync and async capable (under ASGI
Django runs the chain asynchronously, no thread hops), and an async-only function middleware that only
``djapp.settings_async`` enables.
"""

from inspect import iscoroutinefunction
from typing import List

from asgiref.sync import markcoroutinefunction
from django.contrib.auth.models import User
from django.utils.decorators import async_only_middleware
from django.utils.decorators import sync_and_async_middleware
from django.utils.deprecation import MiddlewareMixin


class HookMiddleware(MiddlewareMixin):
    def process_request(self, request):
        # a request naming a user is "logged in" (an unsaved User: no database needed)
        if "HTTP_X_USER_ID" in request.META:
            request.user = User(pk=int(request.META["HTTP_X_USER_ID"]), username="alice")

    def process_view(self, request, view_func, view_args, view_kwargs):
        return None

    def process_template_response(self, request, response):
        response.context_data = {**(response.context_data or {}), "hooked": True}
        return response

    def process_exception(self, request, exception):
        return None

    def process_response(self, request, response):
        response["X-Hooked"] = "1"
        return response


@sync_and_async_middleware
def stamp_middleware(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            response = await get_response(request)
            response["X-Stamped"] = "1"
            return response

    else:

        def middleware(request):
            response = get_response(request)
            response["X-Stamped"] = "1"
            return response

    return middleware


class AsyncOnlyMiddleware:
    """An async-only class middleware that keeps what the rest of the chain raised to it (not in MIDDLEWARE:
    the tests that need it add it)."""

    async_capable = True
    sync_capable = False
    raised: List[BaseException] = []

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        try:
            return await self.get_response(request)
        except BaseException as exc:
            self.raised.append(exc)
            raise


@async_only_middleware
def async_stamp_middleware(get_response):
    """Async only: Django must run the chain around it asynchronously (sync views then run in a thread)."""

    async def middleware(request):
        response = await get_response(request)
        response["X-Async-Stamped"] = "1"
        return response

    return middleware
