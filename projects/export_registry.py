"""Spreadsheet and CSV exports of every list, in one place (DESIGN.md "Export").

Each app declares its kinds in `<app>/export_kinds.py` (imported from `AppConfig.ready`) as an
`ExportKind`: who may export it (a django-rules permission on the project, the rule of the list page
it mirrors) and a `table` function that returns the header and the rows for one reader, built from
the same selector (and the same filters) as that page. This module does the rest the same way for
all of them: .xlsx through openpyxl's write-only workbook, .csv streamed with a BOM, every cell
through `projects.exports.safe_row`, dates and times in the project's time zone.

Kinds that an import reads back (people, requirements, test cases, work items, milestones) name their
columns with `import_header`: the same header as the import template in the reader's language, so an
exported file can be edited and imported again.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import DomainError
from .exports import safe_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class ExportKind:
    key: str  # as in the URL: people, requirements, test-cases, defects, ...
    label: object
    # table(*, user, project, params) -> (header, rows): `params` is the list page's querystring
    # (a QueryDict); rows may be a generator (streamed); raise FilterError for a filter that cannot be used.
    table: Callable
    rule: str = "projects.view"  # the django-rules permission (object: the project) of the list page
    widths: tuple = ()  # column widths in the .xlsx, in characters

    def allowed(self, user, project) -> bool:
        return user.has_perm(self.rule, project)


class FilterError(DomainError):
    """A filter of the querystring is not one the list page accepts."""


_KINDS: dict = {}


def register(kind: ExportKind) -> ExportKind:
    _KINDS[kind.key] = kind
    return kind


def kinds() -> list:
    return list(_KINDS.values())


def get_kind(key) -> ExportKind | None:
    return _KINDS.get(key)


def import_header(import_kind, extra_before=(), extra_after=()) -> list:
    """The import template's header row (projects.imports.template_xlsx) with extra columns around it.

    The extras must not use a name the import reads (it would read them as that column)."""
    chinese = (translation.get_language() or "").startswith("zh")
    return [*extra_before, *[col.zh if chinese else str(col.label) for col in import_kind.columns], *extra_after]


def filter_errors(form):
    """Raise FilterError naming the first bad filter of a (bound) filter form."""
    if form.is_bound and not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise FilterError(_("The filter %(field)s cannot be used: %(why)s") % {"field": field, "why": " ".join(errors)},
                          field=field)
    return form.cleaned_data if form.is_bound else {}


def yes_no(value) -> str:
    return _("yes") if value else _("no")


# ---- writing ----------------------------------------------------------------------------------

def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = _local(value)
        return local.strftime("%Y-%m-%d %H:%M" if not local.second else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def xlsx_value(value):
    if isinstance(value, datetime):
        return _local(value).replace(tzinfo=None, microsecond=0)  # Excel has no time zones
    return value


class _Echo:
    def write(self, value):
        return value


def csv_stream(header, rows):
    """The lines of the CSV file (BOM first, so Excel reads UTF-8 Chinese), for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow(safe_row([csv_value(v) for v in row]))


def xlsx_bytes(title, header, rows, widths=()) -> bytes:
    """A one-sheet workbook, header in bold and frozen, written row by row (openpyxl write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from .exports import workbook_bytes

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(title))
    for index, width in enumerate(widths):
        ws.column_dimensions[_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for value in safe_row(header):
        cell = WriteOnlyCell(ws, value=value)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    for row in rows:
        ws.append(safe_row([xlsx_value(v) for v in row]))
    return workbook_bytes(wb)


def _sheet_title(title) -> str:
    text = str(title)
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31] or "Sheet"


def _column_letter(index) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def filename(project, kind, fmt) -> str:
    return f"{project.code}-{kind.key}-{timezone.localdate():%Y%m%d}.{fmt}"
