"""The testing area's export kinds (see projects.export_registry): test cases, defects, traceability.

Each reads through the selector of its list page, with that page's filters, so an export never shows
more than the page: security defects only to the roles that see them (`defects_visible_to`)."""

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import export_registry as registry
from projects.people import display_name

from . import links
from .forms import CaseFilterForm, DefectFilterForm
from .import_kinds import TEST_CASES
from .models import OPEN_STATUSES, CycleKind, ResultStatus
from .selectors import case_list, defect_list_for_user, traceability

TRACE_STATUSES = ("passing", "failing", "untested", "partial")


def case_table(*, user, project, params):
    """The cases page's cases (search, tag, active/retired); `requirement` holds every linked code,
    comma-separated, as the import reads them."""
    f = registry.filter_errors(CaseFilterForm(params or None))
    qs = case_list(project=project, filters=f)
    has_requirements = links.requirement_model() is not None
    header = registry.import_header(TEST_CASES, extra_before=[_("Code")],
                                    extra_after=[_("Kind"), _("Tags"), _("Active"), _("Automated test"), _("Runs")])
    kinds = dict(CycleKind.choices)

    def rows():
        for c in qs.iterator(chunk_size=2000):
            codes = ", ".join(sorted(r.code for r in c.requirements.all())) if has_requirements else ""
            yield [c.code, c.title, c.steps, c.expected_result, codes, str(kinds.get(c.kind, c.kind)),
                   ", ".join(c.tags or []), registry.yes_no(c.active), c.automation_key, c.runs]

    return header, rows()


def defect_table(*, user, project, params):
    """The defect list with its filters (severity, status, category, found_in, assignee, cycle, open,
    overdue, mine, q, sort), streamed: select_related rows, no query per defect."""
    f = registry.filter_errors(DefectFilterForm(params or None, project=project))
    qs = defect_list_for_user(user=user, project=project, filters=f)
    if links.requirement_model() is not None:
        qs = qs.annotate(requirement_code=F("requirement__code"))
    header = [_("Defect"), _("Title"), _("Severity"), _("Priority"), _("Category"), _("Status"), _("Found in"),
              _("Assignee"), _("Reporter"), _("Test cycle"), _("Requirement"), _("Environment"),
              _("Steps to reproduce"), _("Expected result"), _("Actual result"), _("Reported at"), _("Triage due"),
              _("Fix due"), _("Overdue"), _("Times reopened"), _("Closed at")]

    def rows():
        for d in qs.iterator(chunk_size=2000):
            yield [d.key, d.title, d.get_severity_display(), d.get_priority_display(), d.get_category_display(),
                   d.get_status_display(), d.get_found_in_display(),
                   display_name(d.assignee) if d.assignee_id else "", display_name(d.reporter),
                   d.cycle.name if d.cycle_id else "", getattr(d, "requirement_code", "") or "", d.environment,
                   d.steps, d.expected_result, d.actual_result, d.created_at, d.triage_due_at, d.fix_due_at,
                   registry.yes_no(d.overdue), d.reopen_count, d.closed_at]

    return header, rows()


def _defect_list(defects):
    return "; ".join(f"{d.key} {d.title} ({d.get_status_display()})" for d in defects)


def traceability_table(*, user, project, params):
    """One row per requirement × test case, as the traceability page: the case's latest result (and the
    cycle that ran it), the open defects filed from the case's runs and those of the requirement; a
    requirement without cases is one row saying so. `?status=passing|failing|untested|partial` as the page."""
    status = (params or {}).get("status") or ""
    if status and status not in TRACE_STATUSES:
        raise registry.FilterError(_("The filter status takes one of: %(v)s.") % {"v": ", ".join(TRACE_STATUSES)},
                                   field="status")
    labels = {"passing": _("passing"), "failing": _("failing"), "untested": _("untested"), "partial": _("partly run")}
    header = [_("Requirement"), _("Title"), _("Requirement status"), _("Coverage"), _("Test case"), _("Case title"),
              _("Active"), _("Latest result"), _("Test cycle"), _("Executed at"), _("Open defects of the case"),
              _("Open defects of the requirement")]
    results = dict(ResultStatus.choices)
    rows = []
    for row in traceability(user=user, project=project):
        if status and row["status"] != status:
            continue
        req = row["requirement"]
        start = [req.code, req.title, req.get_status_display(), labels[row["status"]]]
        own = _defect_list(d for d in row["requirement_defects"] if d.status in OPEN_STATUSES)
        if not row["cases"]:
            rows.append([*start, "", _("No test case covers this requirement."), "", "", "", "", "", own])
            continue
        for entry in row["cases"]:
            case, result = entry["case"], entry["result"]
            rows.append([*start, case.code, case.title, registry.yes_no(case.active),
                         str(results[result.status]) if result else str(results[ResultStatus.NOT_RUN]),
                         result.cycle.name if result else "", result.executed_at if result else None,
                         _defect_list(d for d in entry["defects"] if d.status in OPEN_STATUSES), own])
    return header, rows


TEST_CASES_EXPORT = registry.register(registry.ExportKind(
    key="test-cases", label=gettext_lazy("Test cases"), table=case_table, rule="defects.view",
    widths=(10, 40, 50, 40, 18, 12, 18, 8, 30, 6)))

DEFECTS_EXPORT = registry.register(registry.ExportKind(
    key="defects", label=gettext_lazy("Defects"), table=defect_table, rule="defects.view",
    widths=(8, 44, 10, 10, 12, 12, 12, 14, 14, 18, 10, 20, 40, 30, 30, 16, 16, 16, 8, 8, 16)))

TRACEABILITY_EXPORT = registry.register(registry.ExportKind(
    key="traceability", label=gettext_lazy("Traceability"), table=traceability_table, rule="defects.view",
    widths=(10, 36, 14, 12, 10, 36, 8, 12, 18, 16, 40, 40)))
