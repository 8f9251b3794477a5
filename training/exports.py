"""Coverage report as CSV and Excel (same rows, same columns)."""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from projects.exports import csv_text, sheet_append, workbook_bytes
from projects.models import Role
from projects.people import display_name


def _role_labels(roles):
    return ", ".join(str(Role(r).label) for r in sorted(roles))


def people_rows(report):
    header = [_("Username"), _("Name"), _("Department"), _("Roles"), _("Required courses"), _("Completed"),
              _("Completed online"), _("Still to take"), _("Trained")]
    rows = []
    for p in report["people"]:
        u = p["user"]
        rows.append([u.username, display_name(u), p["department"].name if p["department"] else "",
                     _role_labels(p["roles"]), "; ".join(c.title for c in p["required"]),
                     "; ".join(c.title for c in p["completed"]), "; ".join(c.title for c in p.get("online", [])),
                     "; ".join(c.title for c in p["missing"]),
                     _("yes") if p["trained"] else _("no")])
    return header, rows


def course_rows(report):
    header = [_("Course"), _("Required people"), _("Completed"), _("Coverage %")]
    return header, [[c["course"].title, c["required"], c["completed"], c["pct"]] for c in report["courses"]]


def department_rows(report):
    header = [_("Department"), _("Required people"), _("Trained"), _("Coverage %")]
    return header, [[d["name"] or _("No department"), d["required"], d["trained"], d["pct"]]
                    for d in report["departments"]]


def coverage_csv(report) -> str:
    header, rows = people_rows(report)
    return csv_text(header, rows)


def coverage_xlsx(report) -> bytes:
    wb = Workbook()
    sheets = [(_("People"), people_rows(report)), (_("Courses"), course_rows(report)),
              (_("Departments"), department_rows(report))]
    for index, (title, (header, rows)) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title[:31]
        sheet_append(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet_append(ws, row)
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
        ws.freeze_panes = "A2"
    return workbook_bytes(wb)
