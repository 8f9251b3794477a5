"""The /api/v1/ router. Each app lists its viewsets in `<app>/api_urls.py` as ROUTES and may add
extra `urlpatterns`; this module collects them, so apps never edit a shared file."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import include, path
from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    """Object ids are numbers: `/test-cases/abc/` does not match a route (a JSON 404, never a 500).
    A viewset keyed otherwise sets `lookup_value_regex`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+"


router = Router()
extra = []
for app in settings.LIFTOFF_APPS:
    if find_spec(f"{app}.api_urls") is None:
        continue
    module = import_module(f"{app}.api_urls")
    for prefix, viewset, basename in getattr(module, "ROUTES", []):
        router.register(prefix, viewset, basename=basename)
    extra += getattr(module, "urlpatterns", [])

urlpatterns = extra + [path("", include(router.urls))]
