"""Files the testing area hands out: the test-cycle exit report as a PDF (the same content as its page)."""

from django.utils.translation import gettext as _

from projects.pdf import Report, stamp_line

from .models import ResultStatus


def _pct(part, whole):
    return f"{round(part * 100 / whole, 1):g}%" if whole else "—"


def exit_report_pdf(r, *, printed_at) -> bytes:
    """`r` is selectors.exit_report(...): scope, execution, coverage, defects, performance, security, sign-off."""
    cycle, project = r["cycle"], r["project"]
    doc = Report(
        title=_("Test-cycle exit report: %(name)s") % {"name": cycle.name},
        subtitle=f"{project.name} · {project.code}",
        meta=_("%(kind)s · %(start)s → %(end)s · status %(status)s") % {
            "kind": cycle.get_kind_display(), "start": f"{cycle.planned_start:%Y-%m-%d}",
            "end": f"{cycle.planned_end:%Y-%m-%d}", "status": cycle.get_status_display()},
        footer=stamp_line(printed_at, _("Exit report"), project.code))
    rate = r["passed"] * 100 / r["total"] if r["total"] else 0
    doc.banner(_("Pass rate %(rate)s (%(passed)d of %(total)d cases) · executed %(executed)d")
               % {"rate": _pct(r["passed"], r["total"]), "passed": r["passed"], "total": r["total"],
                  "executed": r["executed"]}, tone="good" if rate >= 95 else "warn" if rate >= 60 else "bad")

    doc.heading(_("Scope"))
    doc.facts([
        (_("Cases in scope"), f'{r["total"]} · ' + ", ".join(f'{k["kind"]} {k["count"]}' for k in r["kinds"])),
        (_("Scope"), cycle.get_scope_display()),
        (_("Requirement coverage"), _("%(covered)d of %(scope)d approved requirements tested in this cycle have a "
                                      "passing case (%(rate)s)") % {"covered": r["covered"], "scope": r["in_scope"],
                                                                    "rate": _pct(r["covered"], r["in_scope"])}),
    ])
    doc.heading(_("Results"), level=2)
    doc.table([_("Result"), _("Cases"), _("Share")],
              [[row["status"].label, row["count"], _pct(row["count"], r["total"])] for row in r["by_status"]],
              widths=(3, 1, 1), align="LRR")
    if r["uncovered"]:
        doc.heading(_("Requirements without a passing case"), level=2)
        doc.table([_("Requirement"), _("Title")], [[q.code, q.title] for q in r["uncovered"][:40]], widths=(1, 4))
    if r["failing"]:
        doc.heading(_("Cases that did not pass"), level=2)
        doc.table([_("Case"), _("Result"), _("Note")],
                  [[f"{x.case.code} {x.case.title}", ResultStatus(x.status).label, x.note] for x in r["failing"]],
                  widths=(3, 1, 3))

    doc.heading(_("Defects"))
    doc.table([_("Severity"), _("Open in the project"), _("Found in this cycle"), _("Of those still open")],
              [[d["severity"].label, d["open"], d["found"], d["found_open"]] for d in r["defects"]],
              widths=(2, 1, 1, 1), align="LRRR")
    if r["blocking_defects"]:
        doc.table([_("Defect"), _("Severity"), _("Status")],
                  [[f"{d.key} {d.title}", d.get_severity_display(), d.get_status_display()]
                   for d in r["blocking_defects"]], widths=(4, 1, 1))

    doc.heading(_("Performance"))
    if r["perf_targets"]:
        doc.paragraph(_("%(met)d of %(total)d transactions meet their target in their latest run.")
                      % {"met": r["perf_met"], "total": r["perf_targets"]},
                      tone="good" if r["perf_met"] == r["perf_targets"] else "bad")
    else:
        doc.paragraph(_("No performance targets are set."), tone="muted")
    for run in r["perf_runs"]:
        doc.heading(f"{run.name} ({run.get_tool_display()}, {run.imported_at:%Y-%m-%d})", level=2)
        doc.table([_("Transaction"), _("Samples"), _("p95 (ms)"), _("Per second"), _("Errors"), _("Target")],
                  [[x.transaction, x.samples, f"{x.p95_ms:g}", f"{x.tps:g}" if x.tps is not None else "—",
                    f"{x.error_rate:g}%", _verdict(x.passed)] for x in run.judged],
                  widths=(3, 1, 1, 1, 1, 1), align="LRRRRC")

    doc.heading(_("Security"))
    f = r["findings"]
    doc.paragraph(_("%(open)d findings still open, %(high)d of them high or critical; %(expired)d risk acceptances "
                    "expired.") % {"open": f["open"], "high": f["open_high"], "expired": f["expired"]},
                  tone="bad" if f["open_high"] else "good")
    doc.table([_("Severity"), _("Open")], [[row["severity"].label, row["open"]] for row in f["by_severity"]],
              widths=(3, 1), align="LR")

    doc.heading(_("Sign-off"))
    doc.paragraph(_("The signatories confirm that the cycle met its exit criteria, or accept the open items above."),
                  size=9)
    doc.signoff(r["signoffs"], labels=(_("Name"), _("Signature"), _("Date")))
    return doc.output()


def _verdict(passed):
    if passed is None:
        return "—"
    return _("met") if passed else _("missed")
