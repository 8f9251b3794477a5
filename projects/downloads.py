"""Member-only file downloads: the view checks access, then this sends the file.

With `SENDFILE_X_ACCEL` on (behind nginx, deploy/nginx.conf) the response carries no body, only
`X-Accel-Redirect: <SENDFILE_X_ACCEL_PREFIX><path under MEDIA_ROOT>`; nginx serves the file from an
`internal` location, so a gunicorn worker is not held for the whole transfer and MEDIA_ROOT is never
reachable from outside. Otherwise Django streams the file itself (FileResponse).
"""

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header


def _secure(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def protected_file_response(fieldfile, *, filename, content_type=None, inline=False):
    """The download of `fieldfile` (a FileField's value) as an attachment named `filename` (shown in
    the page with `inline`, e.g. a training video); 404 when the file is gone."""
    if not fieldfile:
        raise Http404
    if getattr(settings, "SENDFILE_X_ACCEL", False):
        if not fieldfile.storage.exists(fieldfile.name):
            raise Http404
        response = HttpResponse(content_type=content_type or "application/octet-stream")
        prefix = settings.SENDFILE_X_ACCEL_PREFIX.rstrip("/") + "/"
        response["X-Accel-Redirect"] = prefix + quote(fieldfile.name.lstrip("/"))
        response["Content-Disposition"] = content_disposition_header(not inline, filename)
        return _secure(response)
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kwargs = {"content_type": content_type} if content_type else {}
    return _secure(FileResponse(handle, as_attachment=not inline, filename=filename, **kwargs))
