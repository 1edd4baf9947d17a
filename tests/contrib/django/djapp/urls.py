from django.urls import include
from django.urls import path
from django.urls import re_path
from django.views.generic import TemplateView

from djapp import views

api = ([re_path(r"^v(?P<version>[0-9]+)/ping$", views.ping, name="ping")], "api")

urlpatterns = [
    path("", views.index),
    path("pid", views.pid),
    path("users/<int:uid>", views.user, name="user"),
    path("items/<slug:name>", views.ItemView.as_view()),
    path("template", views.template_response),
    path("render", views.rendered),
    path("about", TemplateView.as_view(template_name="hello.html", extra_context={"name": "about"})),
    path("async", views.async_view),
    path("api/", include(api, namespace="api")),
    path("boom", views.boom),
    path("stream", views.stream),
    path("headers", views.headers),
    path("proxied", views.proxied),
    path("hang", views.hang),
    path("hang/class", views.HangView.as_view()),
    path("cache", views.cache_counts),
    path("async-items/<slug:name>", views.AsyncItemView.as_view()),
]
