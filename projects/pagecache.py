"""Rendered pages kept per reader until the project changes: what makes the heavy pages cheap to re-read.

At a bank's scale the board, the runbook, the run board or the RACI grid cost 40–90 ms of Python to
build, and people re-read them far more often than they change them (the run board polls every 5 s on
the cutover night; a tester goes back to the board after each defect). `@page_cache(ttl)` under
`@project_view` keeps the rendered response of a GET for

  the project's current version of the apps the page shows (`projects.freshness`: every audited change
  bumps its app's), the reader, the path with its query, the language and time zone, today's date,
  whether htmx asked for a piece (and which), and on a full page the top bar's figures: the reader's
  "my work" count and unread-notification count (`hooks.reader_state`),

so the next identical request is answered from the cache with the session, the membership check and
one count. An audited change makes every cached page that shows its app unreachable at once (a defect
filed keeps the runbook's pages); what changes without history (time passing, bulk updates) shows
within `ttl` seconds.

It is per reader on purpose: pages carry the reader's own actions, name and "my work" count, and a
cache that shares them across people would have to prove that no personal line leaks. The CSRF token
is never stored: pages are rendered with a placeholder in its place (`csrf_placeholder`, a context
processor) and each response gets the reader's current token. Responses with pending messages,
other statuses than 200 and anything but GET are never cached. With `PAGE_CACHE = False`, or with
the cache down, every request is simply computed.
"""

import logging
import zlib
from functools import wraps
from hashlib import blake2b

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from . import freshness, hooks, mywork

log = logging.getLogger(__name__)

TTL = freshness.TTL
# Stands in for the CSRF token while a cacheable page renders; letters only, so escaping keeps it.
PLACEHOLDER = "LiftoffCsrfTokenPlaceholderQvXk"
_RENDERING = "_page_cache_rendering"


def csrf_placeholder(request):
    """Context processor: the placeholder instead of the token while a cacheable page renders."""
    return {"csrf_token": PLACEHOLDER} if getattr(request, _RENDERING, False) else {}


def _key(request, project, name, version):
    htmx = getattr(request, "htmx", False)
    piece = (f"{htmx.boosted}:{htmx.history_restore_request}:{htmx.target}" if htmx else "page")
    full_page = not htmx or htmx.boosted or htmx.history_restore_request
    # The top bar of a full page: the reader's "my work" count and what other apps add (the bell).
    reader = f"{mywork.count_for_request(request, project)}:{hooks.reader_states(request.user)}" if full_page else ""
    parts = "|".join(str(p) for p in (
        name, request.user.pk, request.get_full_path(), translation.get_language(),
        timezone.get_current_timezone_name(), timezone.localdate(), piece, reader))
    digest = blake2b(parts.encode(), digest_size=16).hexdigest()
    return f"project:page:{project.pk}:{version}:{digest}"


def _cacheable(request):
    if request.method != "GET" or not getattr(settings, "PAGE_CACHE", True):
        return False
    return not len(messages.get_messages(request))  # a flash message shows once, on a page built now


def page_cache(ttl=TTL, areas=None):
    """Keep this project view's rendered GET response for `ttl` seconds at most, under the project's
    version of `areas` (the apps whose data the page shows; None: all of them). See the module."""

    def decorate(view):
        name = f"{view.__module__}.{view.__name__}"

        @wraps(view)
        def wrapper(request, project, *args, **kwargs):
            if not _cacheable(request):
                return view(request, project, *args, **kwargs)
            version = freshness.version(project.pk, areas)
            if not version:  # the cache is down: nothing is kept or served
                return view(request, project, *args, **kwargs)
            key = _key(request, project, name, version)
            try:
                stored = cache.get(key)
            except Exception:  # noqa: BLE001 - an optimisation: a failing cache means computing
                stored = None
            if stored is not None:
                content_type, packed = stored
                body = zlib.decompress(packed).decode()
                return HttpResponse(body.replace(PLACEHOLDER, get_token(request)), content_type=content_type)
            setattr(request, _RENDERING, True)
            try:
                response = view(request, project, *args, **kwargs)
            finally:
                setattr(request, _RENDERING, False)
            if getattr(response, "streaming", False):
                return response
            html = response.get("Content-Type", "").startswith("text/html")
            if html and response.status_code == 200 and not _personal_headers(response):
                try:
                    # Compressed (HTML shrinks 5–10×): many readers' pages fit in the cache's memory.
                    packed = zlib.compress(response.content.decode(response.charset).encode(), 1)
                    cache.set(key, (response["Content-Type"], packed), timeout=ttl)
                except Exception:  # noqa: BLE001
                    log.warning("Cache unavailable: a rendered page was not kept", exc_info=True)
            if PLACEHOLDER.encode() in response.content:  # whatever was rendered gets the reader's token
                response.content = response.content.replace(PLACEHOLDER.encode(), get_token(request).encode())
            return response

        wrapper.page_cache_ttl = ttl
        return wrapper

    return decorate


def _personal_headers(response) -> bool:
    """Headers a replay could not repeat (htmx instructions, cookies, redirects): such responses are not kept."""
    return bool(response.cookies) or any(h.lower().startswith("hx-") for h in response.headers)
