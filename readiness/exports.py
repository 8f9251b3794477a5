"""Files of readiness: the frozen blockers of a go/no-go meeting as an Excel workbook."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _

from .selectors import evidence_blockers


def blockers_xlsx(decision, *, request=None) -> bytes:
    """The frozen blockers of a meeting as an Excel workbook (the bank files it with the minutes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Blockers")[:31]
    bold = Font(bold=True)
    ws.append([decision.project.name])
    ws.append([decision.title, decision.meeting_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")])
    ws.append([_("Score"), decision.score, _("Ready"), _("Yes") if decision.ready else _("No")])
    ws.append([])
    header = [_("Criterion"), _("Area"), _("Value"), _("Target"), _("Mandatory"), _("Weight"), _("Why"), _("Link")]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    ws["A1"].font = Font(bold=True, size=14)
    for c in evidence_blockers(decision):
        url = c.get("url") or ""
        if url and request is not None:
            url = request.build_absolute_uri(url)
        ws.append([c["display_label"], c.get("area", ""), c.get("display") or c["value"], c["target"],
                   _("Yes") if c.get("mandatory") else _("No"), c.get("weight", 1), c.get("explanation", ""), url])
    for column, width in zip("ABCDEFGH", [44, 14, 12, 10, 11, 8, 60, 50], strict=True):
        ws.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
