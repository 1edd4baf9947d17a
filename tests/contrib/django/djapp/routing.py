"""A channels application: a plain ASGI app at ``/plain`` (not Django's handler) and Django's own ASGI
application for every other path."""

from channels.routing import ProtocolTypeRouter
from channels.routing import URLRouter
from django.core.asgi import get_asgi_application
from django.urls import path
from django.urls import re_path


async def plain(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"plain"})


def router(django_application):
    return ProtocolTypeRouter({"http": URLRouter([path("plain", plain), re_path(r"", django_application)])})


application = router(get_asgi_application())
