"""The project's ASGI application, for servers that import it by name (uvicorn's workers)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djapp.settings")
application = get_asgi_application()
