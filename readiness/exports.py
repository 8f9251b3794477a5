"""Files of readiness: the frozen blockers of a go/no-go meeting as an Excel workbook."""

from django.utils import timezone
from django.utils.translation import gettext as _

from projects.exports import sheet_append, workbook_bytes

from .selectors import evidence_blockers


def blockers_xlsx(decision, *, request=None) -> bytes:
    """The frozen blockers of a meeting as an Excel workbook (the bank files it with the minutes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Blockers")[:31]
    bold = Font(bold=True)
    sheet_append(ws, [decision.project.name])
    sheet_append(ws, [decision.title, decision.meeting_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")])
    sheet_append(ws, [_("Score"), decision.score, _("Ready"), _("Yes") if decision.ready else _("No")])
    ws.append([])
    header = [_("Criterion"), _("Area"), _("Value"), _("Target"), _("Mandatory"), _("Weight"), _("Why"), _("Link")]
    sheet_append(ws, header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    ws["A1"].font = Font(bold=True, size=14)
    for c in evidence_blockers(decision):
        url = c.get("url") or ""
        if url and request is not None:
            url = request.build_absolute_uri(url)
        sheet_append(ws, [c["display_label"], c.get("area", ""), c.get("display") or c["value"], c["target"],
                   _("Yes") if c.get("mandatory") else _("No"), c.get("weight", 1), c.get("explanation", ""), url])
    for column, width in zip("ABCDEFGH", [44, 14, 12, 10, 11, 8, 60, 50], strict=True):
        ws.column_dimensions[column].width = width
    return workbook_bytes(wb)


def gonogo_pdf(decision, *, rows, evidence_rows, blockers, recorded_in="", printed_at=None) -> bytes:
    """The go/no-go decision record as a PDF (the same content as its printable page): the decision,
    the e-signed sign-offs, the blockers and the frozen readiness evidence, with Chinese rendered."""
    from projects.pdf import Report, stamp_line
    from projects.people import display_name

    printed_at = printed_at or timezone.now()
    project = decision.project
    local = timezone.localtime
    doc = Report(
        title=_("Go/no-go decision record") + f": {decision.title}",
        subtitle=f"{project.name} · {project.code}",
        meta=_("Meeting %(at)s · planned go-live %(go)s") % {
            "at": f"{local(decision.meeting_at):%Y-%m-%d %H:%M}",
            "go": f"{local(project.go_live_at):%Y-%m-%d %H:%M}" if project.go_live_at else "—"},
        footer=stamp_line(printed_at, _("Record no.") + f" {decision.pk}", project.code))
    if decision.is_final:
        verdict = decision.final_verdict
        doc.banner(_("Final decision") + f": {decision.get_final_verdict_display()}",
                   tone="good" if verdict == "go" else "bad" if verdict == "no_go" else "warn")
        doc.facts([(_("Decided by"), display_name(decision.decided_by)),
                   (_("Decided at"), f"{local(decision.decided_at):%Y-%m-%d %H:%M}"),
                   *([(_("Conditions / reasons"), decision.conditions)] if decision.conditions else [])])
    else:
        doc.banner(_("Not final: sign-offs are still being collected."))
    doc.heading(_("Sign-offs"))
    doc.table([_("Role"), _("Signed by"), _("Decision"), _("Comment / conditions"), _("Signed at")],
              [[row["label"], display_name(row["signoff"].user), row["signoff"].get_verdict_display(),
                row["signoff"].comment, f"{local(row['signoff'].signed_at):%Y-%m-%d %H:%M}"]
               if row["signoff"] else [row["label"], _("awaited"), "", "", ""] for row in rows],
              widths=(2, 2, 1.4, 4, 2))
    doc.paragraph(_("Every sign-off was given after the signer re-entered their password (electronic signature)."),
                  tone="muted", size=8.5)
    yes, no = _("Yes"), _("No")
    if blockers:
        doc.heading(_("Blockers at the time of the meeting") + (f" {recorded_in}" if recorded_in else ""))
        doc.table([_("Criterion"), _("Value"), _("Target"), _("Mandatory"), _("Why")],
                  [[c["display_label"], c.get("display") or c.get("value"), c.get("target"),
                    yes if c.get("mandatory") else no, c.get("explanation", "")] for c in blockers],
                  widths=(3, 1, 1, 1, 4))
    doc.heading(_("Readiness evidence") + f" ({_('frozen when the meeting opened')})")
    doc.paragraph(_("Score") + f": {decision.score} / 100 · "
                  + (_("Ready to go live") if decision.ready else _("Not ready to go live")),
                  tone="good" if decision.ready else "bad")
    doc.table(["", _("Criterion"), _("Value"), _("Target"), _("Mandatory"), _("Why")],
              [["✓" if c.get("passed") else "×", c["display_label"], c.get("display") or c.get("value"),
                c.get("target"), yes if c.get("mandatory") else no, c.get("explanation", "")] for c in evidence_rows],
              widths=(0.5, 3, 1, 1, 1, 4), empty=_("No criteria were registered."))
    return doc.output()
