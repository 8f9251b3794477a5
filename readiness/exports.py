"""Files of readiness: the frozen blockers of a go/no-go meeting as an Excel workbook."""

import csv
from io import BytesIO, StringIO

from django.utils import timezone
from django.utils.translation import gettext as _

from projects.exports import sheet_append, workbook_bytes
from projects.safety import safe_cell

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
        sheet_append(ws, [c["display_label"], c.get("area", ""), c.get("display") or c["value"], c.get("target_display") or c["target"],
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
                   *([(_("Conditions / reasons"), decision.conditions)] if decision.conditions else []),
                   *([(_("Go against %(n)d open mandatory blockers: reason") % {
                       "n": sum(1 for c in evidence_rows if not c.get("passed") and c.get("mandatory", True))},
                       decision.override_reason)] if decision.override_reason else [])])
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
                  [[c["display_label"], c.get("display") or c.get("value"), c.get("target_display") or c.get("target"),
                    yes if c.get("mandatory") else no, c.get("explanation", "")] for c in blockers],
                  widths=(3, 1, 1, 1, 4))
    doc.heading(_("Readiness evidence") + f" ({_('frozen when the meeting opened')})")
    doc.paragraph(_("Score") + f": {decision.score} / 100 · "
                  + (_("Ready to go live") if decision.ready else _("Not ready to go live")),
                  tone="good" if decision.ready else "bad")
    doc.table(["", _("Criterion"), _("Value"), _("Target"), _("Mandatory"), _("Why")],
              [["✓" if c.get("passed") else "×", c["display_label"], c.get("display") or c.get("value"),
                c.get("target_display") or c.get("target"), yes if c.get("mandatory") else no,
                c.get("explanation", "")] for c in evidence_rows],
              widths=(0.5, 3, 1, 1, 1, 4), empty=_("No criteria were registered."))
    return doc.output()


# ----- the risk register as CSV and Excel ------------------------------------------------------

def risk_rows(risks):
    from projects.people import display_name

    header = [_("ID"), _("Title"), _("Category"), _("Likelihood"), _("Impact"), _("Score"), _("Level"), _("Status"),
              _("Owner"), _("Mitigation"), _("Trigger"), _("Mitigation due"), _("Next review"), _("Last reviewed"),
              _("Note"), _("Incident or issue link")]
    rows = []
    for r in risks:
        rows.append([r.pk, r.title, r.get_category_display(), r.likelihood, r.impact, r.score,
                     str(r.get_level_display()), r.get_status_display(), display_name(r.owner), r.mitigation,
                     r.trigger, r.due.isoformat() if r.due else "", r.review_on.isoformat() if r.review_on else "",
                     timezone.localtime(r.reviewed_at).strftime("%Y-%m-%d %H:%M") if r.reviewed_at else "",
                     r.status_note, r.incident_url])
    return header, [[safe_cell(str(v)) if not isinstance(v, int) else v for v in row] for row in rows]


def risks_csv(risks) -> str:
    out = StringIO()
    writer = csv.writer(out)
    header, rows = risk_rows(risks)
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 (Chinese) correctly


def risks_xlsx(risks) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Risks")[:31]
    header, rows = risk_rows(risks)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for column, width in zip("ABCDEFGHIJKLMNOP", [6, 44, 14, 10, 8, 7, 10, 12, 14, 50, 36, 12, 12, 16, 36, 36],
                             strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# ----- the weekly status report as a PDF --------------------------------------------------------

def _value(c):
    return c.get("display") or c.get("value")


def status_report_pdf(r, *, summary="", sent_at=None, printed_at=None, recorded_in="") -> bytes:
    """`r` is selectors.status_report(...) (live), or a sent report's frozen data through
    selectors.report_display (its labels and sentences in the reader's language); Chinese text is embedded.
    `recorded_in` notes sentences shown as stored in another language (selectors.report_recorded_in)."""
    from projects.pdf import Report, stamp_line

    printed_at = printed_at or timezone.now()
    project = r["project"]
    meta = (_("Sent %(at)s") % {"at": f"{timezone.localtime(sent_at):%Y-%m-%d %H:%M}"}) if sent_at \
        else _("Draft generated %(day)s") % {"day": r["generated_on"]}
    doc = Report(
        title=_("Weekly status report") + f" · {r['week_start']}",
        subtitle=f"{project['name']} · {project['code']}",
        meta=f"{meta} {recorded_in}" if recorded_in else meta,
        footer=stamp_line(printed_at, _("Status report"), project["code"]))
    rd = r["readiness"]
    trend = ""
    if rd.get("score_a_week_ago") is not None:
        trend = " · " + _("a week ago %(score)d") % {"score": rd["score_a_week_ago"]}
    doc.banner(_("Readiness %(score)d / 100") % {"score": rd["score"]} + trend + " · "
               + (_("Ready to go live") if rd["ready"] else _("Not ready to go live")),
               tone="good" if rd["ready"] else "bad")
    if summary:
        doc.heading(_("Summary"))
        doc.paragraph(summary)
    sch = r["schedule"]
    doc.heading(_("Schedule"))
    doc.facts([(_("Go-live"), sch["go_live_at"] or "—"),
               (_("Days to go-live"), str(sch["days_to_go_live"]) if sch["days_to_go_live"] is not None else "—")])
    doc.table([_("Milestone"), _("Planned"), _("Forecast"), _("Actual"), _("Slip (days)")],
              [[m["name"], m["planned"], m["forecast"] or "", m["actual"] or "", m["slip_days"]]
               for m in sch["milestones"]], widths=(4, 1.4, 1.4, 1.4, 1), align="LLLLR",
              empty=_("No milestones."))
    if rd["blockers"]:
        doc.heading(_("What blocks go-live"), level=2)
        doc.table([_("Criterion"), _("Value"), _("Target"), _("Why")],
                  [[c["label"], _value(c), c.get("target_display") or c["target"], c["explanation"]] for c in rd["blockers"]],
                  widths=(3, 1, 1, 4))
    for key, title in [("defects", _("Defects and testing")), ("requirements", _("Requirements")),
                       ("training", _("Training")), ("cutover", _("Cutover and rehearsals"))]:
        section = r.get(key) or {}
        doc.heading(title)
        rows = [["✓" if c["passed"] else "×", c["label"], _value(c), c.get("target_display") or c["target"]] for c in section.get("criteria", [])]
        rows += [["", g["label"], g["display"] or (f"{g['value']:g} / {g['total']:g}" if g.get("total") else
                                                   f"{g['value']:g}"), ""] for g in section.get("gauges", [])]
        doc.table(["", _("Measure"), _("Value"), _("Target")], rows, widths=(0.5, 5, 1.5, 1), align="CLRR",
                  empty=_("Nothing recorded."))
    risks = r["risks"]
    doc.heading(_("Risks"))
    doc.paragraph(_("%(active)d active risks: %(critical)d critical, %(high)d high, %(medium)d medium, %(low)d low; "
                    "%(unmitigated)d critical without mitigation; %(occurred)d occurred.") % {
        "active": risks["active"], "critical": risks["by_level"]["critical"], "high": risks["by_level"]["high"],
        "medium": risks["by_level"]["medium"], "low": risks["by_level"]["low"],
        "unmitigated": risks["critical_unmitigated"], "occurred": risks["occurred"]})
    doc.table([_("Score"), _("Risk"), _("Owner"), _("Mitigation")],
              [[t["score"], t["title"], t["owner"], t["mitigation"]] for t in risks["top"]],
              widths=(0.7, 4, 1.5, 4), align="RLLL", empty=_("No active risks."))
    doc.heading(_("Meeting actions"), level=2)
    doc.paragraph(_("%(open)d open, %(overdue)d overdue.") % r["actions"])
    return doc.output()
