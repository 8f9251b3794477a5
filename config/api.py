"""The /api/v1/ router. Each app lists its viewsets in `<app>/api_urls.py` as ROUTES and may add
extra `urlpatterns`; this module collects them, so apps never edit a shared file."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import include, path
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
extra = []
for app in settings.LIFTOFF_APPS:
    if find_spec(f"{app}.api_urls") is None:
        continue
    module = import_module(f"{app}.api_urls")
    for prefix, viewset, basename in getattr(module, "ROUTES", []):
        router.register(prefix, viewset, basename=basename)
    extra += getattr(module, "urlpatterns", [])

urlpatterns = extra + [path("", include(router.urls))]
