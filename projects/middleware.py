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
