"""Limits every import shares: the size of the uploaded file and the number of data rows.

A 50,000-row runbook sheet took 9.4 s and answered a 7.4 MB page; a file over the limit is now
refused before it is parsed, and a sheet is read only up to one row past the limit (openpyxl
streams it), so neither a large file nor a zip bomb costs more than the limit.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import DomainError


def max_rows() -> int:
    return settings.IMPORT_MAX_ROWS


def check_size(upload, *, field="file", limit=None):
    """Refuse an upload larger than IMPORT_MAX_BYTES (or `limit`) with a message that says how large."""
    limit = limit or settings.IMPORT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise DomainError(_("The file is %(size)s MB; imports may be at most %(limit)s MB. Split it into smaller "
                            "files.") % {"size": round(size / 1048576, 1), "limit": round(limit / 1048576, 1)},
                          field=field, code="too_large")


def check_rows(count, *, field="file"):
    """Refuse more than IMPORT_MAX_ROWS data rows (header not counted)."""
    if count > settings.IMPORT_MAX_ROWS:
        raise DomainError(_("The file has more than %(n)d rows; import at most %(n)d rows at a time.")
                          % {"n": settings.IMPORT_MAX_ROWS}, field=field, code="too_many_rows")
