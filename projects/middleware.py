import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.cache import patch_vary_headers


class IdleTimeoutMiddleware:
    """Log a browser session out after SESSION_IDLE_TIMEOUT seconds without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = getattr(settings, "SESSION_IDLE_TIMEOUT", 0)
        if timeout and request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get("last_seen")
            if last and now - last > timeout:
                logout(request)
            else:
                # Only write the session once a minute, not on every htmx poll.
                if not last or now - last > 60:
                    request.session["last_seen"] = now
        return self.get_response(request)


class VaryOnHtmxMiddleware:
    """Say that a response depends on `HX-Request`.

    A page answers an htmx request on its own URL with just a fragment (`render_page`), and
    `hx-push-url` puts that URL in the history. Without `Vary: HX-Request` the browser may show
    the cached fragment, bare and unstyled, when someone presses Back to that URL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response


class ApiJsonErrorsMiddleware:
    """Everything under /api/ answers JSON, whatever produced the error: an unknown route (Django's
    404), a method the resolver refuses, CSRF, the axes lock-out, a server error. A body over
    API_MAX_BODY_BYTES is refused with a 413 before it is read. DRF's own errors are JSON already
    (projects.api_base.exception_handler); this is the net under everything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return JsonResponse({"detail": _("The request body is too large (at most %(mb)s MB).")
                                 % {"mb": round(settings.API_MAX_BODY_BYTES / 1048576, 1)}}, status=413)
        response = self.get_response(request)
        if response.status_code < 400 or "json" in response.get("Content-Type", ""):
            return response
        messages = {404: _("Not found."), 405: _("This method is not allowed here."),
                    403: _("You do not have permission to do this."), 413: _("The request body is too large."),
                    429: _("Too many requests. Try again later.")}
        detail = messages.get(response.status_code) or (
            _("Server error. It has been logged.") if response.status_code >= 500 else _("Bad request."))
        json_response = JsonResponse({"detail": str(detail)}, status=response.status_code)
        for header in ("Retry-After", "Allow", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        return json_response
