"""Runbook steps to and from Excel: columns title, category, owner, minutes, depends on."""

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from projects.errors import DomainError
from projects.exports import sheet_append, unescape_cell, workbook_bytes
from projects.import_limits import check_rows, check_size

COLUMNS = ["title", "category", "owner", "minutes", "depends on"]
ALIASES = {"title": "title", "category": "category", "owner": "owner", "minutes": "minutes",
           "planned minutes": "minutes", "depends on": "depends_on", "depends_on": "depends_on",
           "标题": "title", "类别": "category", "负责人": "owner", "分钟": "minutes", "依赖": "depends_on"}


def export_steps(steps) -> bytes:
    """An .xlsx with one row per step (steps with `depends_on` prefetched)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "steps"
    sheet_append(ws, COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for s in steps:
        sheet_append(ws, [s.title, s.category, s.owner.username if s.owner else "", s.planned_minutes,
                   "; ".join(d.title for d in sorted(s.depends_on.all(), key=lambda d: (d.order, d.pk)))])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["E"].width = 60
    return workbook_bytes(wb)


def read_rows(fileobj) -> list:
    """[{row, title, category, owner, minutes, depends_on}] from the first sheet; header row required.
    Refused over IMPORT_MAX_BYTES or IMPORT_MAX_ROWS (projects.imports) before the rest is read."""
    check_size(fileobj)
    try:
        wb = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - anything that is not a readable workbook
        raise DomainError(_("This is not an Excel workbook (.xlsx)."), field="file") from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise DomainError(_("The sheet is empty."), field="file")
        keys = [ALIASES.get(str(h or "").strip().lower()) for h in header]
        missing = [c for c in ("title", "category", "minutes") if c not in keys]
        if missing:
            raise DomainError(_("The header row lacks the column(s): %(cols)s. Expected: %(all)s.")
                              % {"cols": ", ".join(missing), "all": ", ".join(COLUMNS)}, field="file")
        out = []
        for number, values in enumerate(rows, start=2):
            if values is None or all(v in (None, "") for v in values):
                continue
            check_rows(len(out) + 1)
            row = {"row": number}
            for key, value in zip(keys, values, strict=False):
                if key:
                    row[key] = unescape_cell(value)
            out.append(row)
    finally:
        wb.close()
    return out
