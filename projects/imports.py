"""Spreadsheet imports (.xlsx and .csv) for every app, in one place.

Each app declares its kinds in `<app>/imports.py` (registered from `AppConfig.ready`) as an
`ImportKind`: its columns (English key and header, Chinese header), who may import, and a `row`
function that creates or updates one thing through the app's own services. This module does the
rest the same way for all of them: reads the file with tablib (openpyxl for .xlsx; CSV as UTF-8 or
GB18030, as Chinese Excel saves it), maps Chinese or English headers, enforces the size and row
limits, runs every row inside one transaction (a savepoint per row, so one bad row does not hide
the next one's problem), and rolls everything back on a dry run or when any row is bad: all or
nothing. A row that would change nothing is counted as unchanged, so importing the same file
twice changes nothing the second time.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from projects.errors import DomainError
from projects.exports import unescape_cell

XLSX_MAGIC = b"PK\x03\x04"
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy English header; the translated one is accepted too
    zh: str  # the Chinese header printed in templates read in Chinese
    required: bool = False
    help: object = ""


@dataclass(frozen=True)
class ImportKind:
    key: str  # as in the URL: people, requirements, test-cases, work-items, milestones
    label: object
    columns: list
    row: Callable  # row(*, actor, project, values, context) -> (CREATED|UPDATED|UNCHANGED, summary)
    rule: str = "projects.import"  # the django-rules permission (object: the project) to import this kind
    prepare: Callable = field(default=lambda *, project: {})  # lookups shared by every row
    natural_key: str = "title"  # the column that identifies a row; duplicates in one file are refused

    def allowed(self, user, project) -> bool:
        return user.has_perm(self.rule, project)


_KINDS: dict = {}


def register(kind: ImportKind) -> ImportKind:
    _KINDS[kind.key] = kind
    return kind


def kinds() -> list:
    return list(_KINDS.values())


def get_kind(key) -> ImportKind | None:
    return _KINDS.get(key)


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # [{row, column, message}]
    preview: list = field(default_factory=list)  # [{row, action, summary}]

    @property
    def ok(self):
        return not self.errors

    def as_dict(self):
        if self.errors:
            return {"created": 0, "updated": 0, "unchanged": 0, "dry_run": self.dry_run, "errors": self.errors}
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "dry_run": self.dry_run, "errors": [], "rows": self.preview}


class FileError(DomainError):
    """The file as a whole cannot be imported (type, size, rows, headers)."""


def _max_bytes():
    return getattr(settings, "IMPORT_MAX_BYTES", 5 * 1024 * 1024)


def _max_rows():
    return getattr(settings, "IMPORT_MAX_ROWS", 5000)


def _header_map(kind):
    """Every accepted spelling of every header → column key (English key, English and Chinese labels)."""
    names = {}
    for col in kind.columns:
        with translation.override("en"):
            en = str(col.label)
        for name in {col.key, col.key.replace("_", " "), en, col.zh, str(col.label)}:
            names[name.strip().lower()] = col.key
    return names


def _column_label(kind, key):
    for col in kind.columns:
        if col.key == key:
            return str(col.label)
    return key


def _decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError(_("The CSV file is neither UTF-8 nor GB18030 text. Save it from Excel as “CSV UTF-8”."),
                    field="file")


def read_table(kind, upload) -> list:
    """[(row number, {column key: value})] from an uploaded .xlsx or .csv; FileError if it cannot be used."""
    if upload is None:
        raise FileError(_("Choose a file to import (.xlsx or .csv)."), field="file")
    if upload.size > _max_bytes():
        raise FileError(_("The file is %(size)s MB; the largest accepted is %(max)s MB. Split it into smaller files.")
                        % {"size": round(upload.size / 1048576, 1), "max": round(_max_bytes() / 1048576, 1)},
                        field="file", code="too_large")
    raw = upload.read()
    if not raw.strip():
        raise FileError(_("The file is empty."), field="file")
    try:
        if raw.startswith(XLSX_MAGIC):
            rows = [list(r) for r in tablib.Dataset().load(io.BytesIO(raw), format="xlsx", headers=False)]
        else:
            text = _decode_csv(raw)
            if "\x00" in text:
                raise FileError(_("This is neither an Excel workbook (.xlsx) nor a CSV file."), field="file")
            rows = list(csv.reader(io.StringIO(text)))
    except FileError:
        raise
    except Exception:  # noqa: BLE001 - whatever the readers make of a file that is not one
        raise FileError(_("This is neither an Excel workbook (.xlsx) nor a CSV file."), field="file") from None
    if not rows:
        raise FileError(_("The file is empty."), field="file")
    names = _header_map(kind)
    header = [names.get(str(h or "").strip().lower()) for h in rows[0]]
    missing = [str(c.label) for c in kind.columns if c.required and c.key not in header]
    if missing:
        raise FileError(
            _("The first row must name the columns; missing: %(missing)s. Download the template to see them all.")
            % {"missing": ", ".join(missing)}, field="file")
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(v not in (None, "") for v in r)]
    if not body:
        raise FileError(_("The file has headers but no rows to import."), field="file")
    if len(body) > _max_rows():
        raise FileError(_("The file has %(rows)s rows; at most %(max)s are imported at once. Split it into smaller files.")
                        % {"rows": len(body), "max": _max_rows()}, field="file")
    out = []
    for number, values in body:
        record = {}
        for key, value in zip(header, values, strict=False):
            if key:
                # An exported file reads back as it was typed ('=x written by projects.exports is =x again).
                record[key] = unescape_cell(value.strip()) if isinstance(value, str) else value
        out.append((number, record))
    return out


def run_import(*, actor, project, kind, upload, dry_run=False) -> ImportResult:
    """Check every row and save them all, or (dry run, or any bad row) save nothing.

    Raises DomainError(code="permission") when the actor may not import this kind, FileError when
    the file as a whole is unusable; bad rows are reported in the result, never half-saved."""
    if not kind.allowed(actor, project):
        raise DomainError(_("You may not import %(kind)s into this project.") % {"kind": kind.label}, code="permission")
    table = read_table(kind, upload)
    result = ImportResult(kind=kind.key, dry_run=dry_run)
    required = [c for c in kind.columns if c.required]
    seen = {}
    with transaction.atomic():
        context = kind.prepare(project=project)
        for number, values in table:
            problems = [{"row": number, "column": str(c.label), "message": _("This column is required.")}
                        for c in required if values.get(c.key) in (None, "")]
            key = str(values.get(kind.natural_key) or "").strip().lower()
            if key and key in seen:
                problems.append({"row": number, "column": _column_label(kind, kind.natural_key),
                                 "message": _("The same as row %(row)s; each row must be different.")
                                 % {"row": seen[key]}})
            seen.setdefault(key, number)
            if problems:
                result.errors.extend(problems)
                continue
            try:
                with transaction.atomic():
                    action, summary = kind.row(actor=actor, project=project, values=values, context=context)
            except DomainError as exc:
                column = _column_label(kind, exc.field) if exc.field else ""
                result.errors.append({"row": number, "column": column, "message": str(exc.message)})
                continue
            except ValidationError as exc:
                for name, messages in getattr(exc, "message_dict", {"": exc.messages}).items():
                    result.errors.append({"row": number, "column": _column_label(kind, name) if name else "",
                                          "message": " ".join(str(m) for m in messages)})
                continue
            setattr(result, action, getattr(result, action) + 1)
            result.preview.append({"row": number, "action": action, "summary": summary})
        if dry_run or result.errors:
            transaction.set_rollback(True)
    return result


def template_xlsx(kind) -> bytes:
    """The .xlsx template: the header row in the reader's language and a sheet that explains each column."""
    chinese = (translation.get_language() or "").startswith("zh")
    wb = Workbook()
    ws = wb.active
    ws.title = str(kind.key)
    ws.append([col.zh if chinese else str(col.label) for col in kind.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for index, _col in enumerate(kind.columns):
        ws.column_dimensions[chr(ord("A") + index)].width = 24
    notes = wb.create_sheet(_("Columns"))
    notes.append([_("Column"), _("Also accepted"), _("Required"), _("What to write")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for col in kind.columns:
        notes.append([col.zh if chinese else str(col.label), col.key, _("yes") if col.required else _("no"),
                      str(col.help)])
    notes.column_dimensions["D"].width = 80
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---- helpers the kinds share ------------------------------------------------------------------

def text(values, key, *, max_length=None, label=None) -> str:
    value = values.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as a number
    value = str(value).strip()
    if max_length and len(value) > max_length:
        raise DomainError(_("At most %(max)s characters (this has %(n)s).") % {"max": max_length, "n": len(value)},
                          field=key)
    return value


def choice(values, key, choices, *, default=None):
    """A choice by its key or its label in English or Chinese (must, 必须, Must …)."""
    raw = text(values, key)
    if not raw:
        return default
    accepted = {}
    for value, label in choices.choices:
        accepted[value.lower()] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                accepted[str(label).strip().lower()] = value
    if raw.lower() in accepted:
        return accepted[raw.lower()]
    raise DomainError(_("“%(value)s” is not one of: %(choices)s.")
                      % {"value": raw, "choices": ", ".join(choices.values)}, field=key)


def day(values, key) -> date | None:
    value = values.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S", "%Y年%m月%d日"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DomainError(_("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31.") % {"value": raw},
                      field=key)


def moment(values, key) -> datetime | None:
    """A date (end of that day, local time) or a date and time."""
    value = values.get(key)
    if isinstance(value, datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    if isinstance(value, str) and len(value.strip()) > 10:
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
            try:
                return timezone.make_aware(datetime.strptime(value.strip(), fmt))
            except ValueError:
                continue
    d = day(values, key)
    return timezone.make_aware(datetime.combine(d, time(18, 0))) if d else None


ROLE_HELP = gettext_lazy("comma-separated role keys: manager, developer, tester, business, ops, trainer, staff")
