"""Testing readiness: no open critical or major defects, the latest cycle passes, requirements
are covered by passing tests.

These are project-wide figures for the go/no-go: they count every defect, security ones
included (only the number is shown; the list behind the link hides what the viewer may not see).
"""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from readiness.registry import Result, criterion, explanation

from . import selectors
from .models import OPEN_STATUSES, Defect, Severity

# The criteria's sentences: frozen as key + parameters, said in the reader's language.
CRITICAL_OPEN = explanation("defects.critical_open", ngettext_lazy(
    "%(n)d critical defect still open", "%(n)d critical defects still open", "n"))
MAJOR_OPEN = explanation("defects.major_open", ngettext_lazy(
    "%(n)d major defect still open", "%(n)d major defects still open", "n"))
NO_CYCLE = explanation("defects.no_cycle", _("No test cycle yet"))
CYCLE_PASSED = explanation("defects.cycle_passed", _("%(cycle)s: %(passed)d of %(total)d cases passed"))
NO_APPROVED = explanation("defects.no_approved", _("No approved requirements yet"))
COVERED = explanation("defects.covered", _(
    "%(covered)d of %(approved)d approved requirements have a passing test in the latest cycle"))
NO_PERF_TARGETS = explanation("defects.no_perf_targets", _("No performance targets set yet"))
PERF_MET = explanation("defects.perf_met", "{met}{failing}", labels={
    "met": lambda pair: _("%(met)d of %(total)d transactions meet their target in their latest run")
    % {"met": pair[0], "total": pair[1]},
    "failing": lambda names: f" · {names}" if names else ""})
HIGH_FINDINGS = explanation("defects.high_findings", ngettext_lazy(
    "%(n)d high or critical finding open (expired risk acceptances count)",
    "%(n)d high or critical findings open (expired risk acceptances count)", "n"))


def _open_count(project, severity):
    return Defect.objects.filter(project=project, severity=severity, status__in=OPEN_STATUSES).count()


def _list_url(project, severity):
    return reverse("defects:list", args=[project.pk]) + f"?severity={severity}&open=1"


@criterion(key="open_critical_defects", label=_("No open critical defects"), default_target=0, area="testing",
           order=30)
def open_critical(project, target):
    n = _open_count(project, Severity.CRITICAL)
    return Result(value=n, passed=n <= target, url=_list_url(project, "critical"), display=str(n),
                  explanation=CRITICAL_OPEN(n=n))


@criterion(key="open_major_defects", label=_("No open major defects"), default_target=0, area="testing", order=31)
def open_major(project, target):
    n = _open_count(project, Severity.MAJOR)
    return Result(value=n, passed=n <= target, url=_list_url(project, "major"), display=str(n),
                  explanation=MAJOR_OPEN(n=n))


@criterion(key="latest_cycle_pass_rate", label=_("Latest test cycle pass rate"), default_target=95, area="testing",
           order=32)
def latest_pass_rate(project, target):
    cycle = selectors.latest_cycle(project)
    if cycle is None:
        return Result(value=0, passed=False, explanation=NO_CYCLE(),
                      url=reverse("defects:cycles", args=[project.pk]), display="—")
    agg = cycle.results.aggregate(total=Count("id"), passed=Count("id", filter=Q(status="passed")))
    rate = round(agg["passed"] * 100 / agg["total"], 1) if agg["total"] else 0.0
    return Result(value=rate, passed=bool(agg["total"]) and rate >= target, display=f"{rate:g}%",
                  url=reverse("defects:cycle", args=[project.pk, cycle.pk]),
                  explanation=CYCLE_PASSED(cycle=cycle.name, passed=agg["passed"], total=agg["total"]))


@criterion(key="requirement_coverage", label=_("Approved requirements covered by a passing test"),
           default_target=90, area="testing", order=33)
def coverage(project, target):
    covered, approved, _sample = selectors.requirement_coverage(project, sample=0)
    if not approved:
        return Result(value=0, passed=False, explanation=NO_APPROVED(),
                      url=reverse("defects:cycles", args=[project.pk]), display="—")
    rate = round(covered * 100 / approved, 1)
    return Result(value=rate, passed=rate >= target, display=f"{rate:g}%",
                  url=reverse("defects:cycles", args=[project.pk]),
                  explanation=COVERED(covered=covered, approved=approved))


@criterion(key="performance_targets_met", label=_("Performance targets met"), default_target=100, area="testing",
           order=34)
def performance_targets(project, target):
    met, total, failing = selectors.perf_status(project)
    url = reverse("defects:performance", args=[project.pk])
    if not total:
        return Result(value=0, passed=False, explanation=NO_PERF_TARGETS(), url=url, display="—")
    rate = round(met * 100 / total, 1)
    names = ", ".join(t.transaction for t in failing[:5]) + ("…" if len(failing) > 5 else "")
    return Result(value=rate, passed=rate >= target, url=url, display=f"{rate:g}%",
                  explanation=PERF_MET(met=[met, total], failing=names if failing else ""))


@criterion(key="no_open_high_findings", label=_("No open high or critical security findings"), default_target=0,
           area="testing", order=35)
def open_high_findings(project, target):
    counts = selectors.finding_counts(project)
    n = counts["open_high"]
    return Result(value=n, passed=n <= target, display=str(n), url=reverse("defects:findings", args=[project.pk])
                  + "?open=1", explanation=HIGH_FINDINGS(n=n))
