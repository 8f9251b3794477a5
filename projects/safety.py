"""Small input-safety rules shared by every app."""

from django.utils.http import url_has_allowed_host_and_scheme


def local_path(value, default=""):
    """`value` if it is a path on this site ("/projects/1/"), else `default`.

    Refuses absolute and scheme-relative URLs ("//evil", "/\\evil": browsers read a backslash as a
    slash), so a stored or posted "next" can never send someone to another site."""
    value = (value or "").strip()
    if (value.startswith("/") and "\\" not in value and not value.startswith("//")
            and url_has_allowed_host_and_scheme(value, allowed_hosts=set())):
        return value
    return default


def external_link_ok(value):
    """True for an absolute http(s) link with a host, or a local path (materials, intranet videos)."""
    value = (value or "").strip()
    if "\\" in value or any(ch.isspace() for ch in value):
        return False
    if local_path(value):
        return True
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# Spreadsheet cells: one neutraliser for every export (projects.exports), kept importable from here.
from .exports import safe_cell  # noqa: E402, F401
