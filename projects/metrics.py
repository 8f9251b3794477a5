"""/metrics (Prometheus, django-prometheus) for ops only.

A scraper sends `Authorization: Bearer <METRICS_TOKEN>`; a signed-in Django staff user may look too.
Anybody else gets a 404 (the path reveals nothing). Under gunicorn the figures of every worker are
summed (prometheus_client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`: see deploy/gunicorn.conf.py).
"""

import hmac

from django.conf import settings
from django.http import Http404
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView


def may_read_metrics(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@never_cache
def metrics(request):
    if not may_read_metrics(request):
        raise Http404
    return ExportToDjangoView(request)
