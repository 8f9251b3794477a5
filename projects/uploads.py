"""What an uploaded file really is, judged by its first bytes (never by its name).

Shared by every app that stores uploads (defect attachments, feedback screenshots, environment-check
evidence): `vet_upload` checks the size and the content type; an app that takes other text files
(configuration exports, say) passes its own `text_extensions` and `allowed_label`."""

from pathlib import Path

from django.utils.translation import gettext as _

# (content type, magic prefixes, file name extensions that may claim it)
SIGNATURES = [
    ("image/png", (b"\x89PNG\r\n\x1a\n",), {".png"}),
    ("image/jpeg", (b"\xff\xd8\xff",), {".jpg", ".jpeg"}),
    ("image/gif", (b"GIF87a", b"GIF89a"), {".gif"}),
    ("application/pdf", (b"%PDF-",), {".pdf"}),
    ("application/zip", (b"PK\x03\x04", b"PK\x05\x06"), {".zip"}),
]
TEXT_EXTENSIONS = {"", ".txt", ".log", ".csv", ".out", ".err", ".trace", ".json", ".xml", ".sql"}
ALLOWED_LABEL = "PNG, JPEG, GIF, PDF, ZIP, text/log"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            # A multi-byte character cut at the end of the sample is still text.
            try:
                head[:-4].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def detect_type(upload, *, text_extensions=TEXT_EXTENSIONS, allowed_label=ALLOWED_LABEL):
    """(content type, None) when allowed, else (None, message saying why)."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    suffix = Path(upload.name or "").suffix.lower()
    for content_type, magics, extensions in SIGNATURES:
        if head.startswith(magics):
            if suffix and suffix not in extensions and suffix not in text_extensions:
                return None, _("The file is named “%(name)s” but its content is %(type)s; rename it or attach "
                               "the right file.") % {"name": upload.name, "type": content_type}
            return content_type, None
    claimed = next((ct for ct, _m, exts in SIGNATURES if suffix in exts), None)
    if claimed:
        return None, _("The file is named “%(name)s” but its content is not %(type)s. Only %(allowed)s files "
                       "may be attached.") % {"name": upload.name, "type": claimed, "allowed": allowed_label}
    if _looks_like_text(head):
        if suffix not in text_extensions:
            return None, _("“%(name)s” is not an allowed type. Only %(allowed)s files may be attached.") % {
                "name": upload.name, "allowed": allowed_label}
        return "text/plain", None
    return None, _("“%(name)s” is not an allowed type. Only %(allowed)s files may be attached.") % {
        "name": upload.name, "allowed": allowed_label}


def vet_upload(upload, *, field, too_big, empty, default_name="attachment", text_extensions=TEXT_EXTENSIONS,
               allowed_label=ALLOWED_LABEL):
    """Size and type of an upload, judged on its content: (content type, safe file name).

    `too_big` is a message with %(size)s and %(limit)s (MB); `empty` the message for a 0-byte file.
    Raises DomainError naming `field` when the file may not be stored."""
    from django.conf import settings

    from projects.errors import DomainError

    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise DomainError(too_big % {"size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)},
                          field=field)
    if upload.size == 0:
        raise DomainError(empty, field=field)
    content_type, problem = detect_type(upload, text_extensions=text_extensions, allowed_label=allowed_label)
    if problem:
        raise DomainError(problem, field=field)
    name = (upload.name or default_name).replace("\\", "/").rsplit("/", 1)[-1][:200]
    return content_type, name
