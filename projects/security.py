"""Who is asking, and how often they may fail to log in.

`client_ip` is the one answer to "which address sent this request" for every throttle (DRF's
and ours) and for django-axes (`AXES_CLIENT_IP_CALLABLE`). It trusts `X-Forwarded-For` only as far
as `LIFTOFF_TRUSTED_PROXIES` says there are proxies of ours in front of the app: with 0 (the
default) the header is ignored, so a client cannot buy a fresh budget by sending a new value;
with N it takes the N-th address from the right (the one our outermost proxy saw).

Log-in failures are counted per address, on the log-in page and the token endpoint alike
(Django's `user_login_failed` signal): after `LOGIN_IP_FAILURE_LIMIT` failures within the axes
cool-off, the address is refused for the rest of it (429), whichever usernames it tried. axes
still locks a username tried from one address after `AXES_FAILURE_LIMIT` failures. Successful
log-ins are never counted, so integrations behind one proxy do not lock each other out.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

USERNAME_MAX = 150  # django.contrib.auth's username length; axes stores up to 255


def client_ip(request) -> str:
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = settings.LIFTOFF_TRUSTED_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote


def axes_username(request, credentials=None):
    """The username axes records, never longer than its column (a 256-character name was a 500)."""
    data = credentials or getattr(request, "data", None) or request.POST
    username = data.get(settings.AXES_USERNAME_FORM_FIELD) if hasattr(data, "get") else None
    return str(username)[:255] if username is not None else None


def _window() -> timedelta:
    return timedelta(hours=float(settings.AXES_COOLOFF_TIME))


def _key(request) -> str:
    return f"login-failures:{client_ip(request)}"


def record_login_failure(sender=None, credentials=None, request=None, **kwargs):
    """`user_login_failed` receiver: one more failure for the request's address."""
    if request is None:
        return
    key = _key(request)
    seconds = int(_window().total_seconds()) or 1
    if cache.add(key, 1, seconds):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, seconds)


def login_blocked(request) -> bool:
    return (cache.get(_key(request)) or 0) >= settings.LOGIN_IP_FAILURE_LIMIT


def lockout_response(request, original_response=None, credentials=None):
    """axes' lock-out answer (and ours): JSON under /api/, the lock-out page elsewhere; 429 both."""
    retry = int(_window().total_seconds())
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _("Too many failed log-in attempts. Try again in %(m)d minutes.")
                                 % {"m": max(1, retry // 60)}}, status=429)
    else:
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, {}, status=429)
    response["Retry-After"] = str(retry)
    return response


class LoginFailureThrottle(BaseThrottle):
    """DRF throttle of the token endpoint: refuses an address with too many recent failures."""

    def allow_request(self, request, view):
        return not login_blocked(request)

    def wait(self):
        return _window().total_seconds()


class ClientIpMixin:
    """For DRF throttles: identify anonymous callers by `client_ip`, not by a header they choose."""

    def get_ident(self, request):
        return client_ip(request)
