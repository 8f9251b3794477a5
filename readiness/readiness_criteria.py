"""What readiness itself contributes to the scorecard and the dashboard, from the project core:
the on-call rota covers the cutover window and hypercare, every RACI area has one A, and the
milestones (reached, overdue). Other apps contribute theirs from their own `readiness_criteria.py`.
"""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from projects import selectors as project_selectors
from projects.models import Milestone

from . import rules  # noqa: F401  the readiness rules exist before any check
from .models import Risk, RiskStatus
from .registry import Gauge, Overdue, OverdueList, Result, criterion, explanation, gauges, overdue
from .selectors import risks_critical_unmitigated

# The criteria's sentences: frozen into go/no-go evidence as key + parameters, said in the reader's language.
ROTA_GAPS = explanation("rota_gaps", ngettext_lazy("%(n)d gap (%(h)s h) without anyone on duty",
                                                   "%(n)d gaps (%(h)s h) without anyone on duty", "n"))
NO_RACI = explanation("raci_accountable.empty", _("No responsibilities written down yet"))
RACI_BAD = explanation("raci_accountable", ngettext_lazy("%(n)d work area without exactly one A",
                                                         "%(n)d work areas without exactly one A", "n"))
RISKS_UNMITIGATED = explanation("critical_risks_mitigated", ngettext_lazy(
    "%(n)d critical risk without mitigation under way", "%(n)d critical risks without mitigation under way", "n"))


@criterion(key="rota_gaps", label=_("On-call rota covers cutover and hypercare"), default_target=0, area="team",
           order=80)
def rota_coverage(project, target):
    gaps = project_selectors.rota_gaps(project=project)
    hours = round(sum((e - s).total_seconds() for s, e in gaps) / 3600, 1)
    return Result(
        value=len(gaps),
        passed=len(gaps) <= target,
        explanation=ROTA_GAPS(n=len(gaps), h=hours),
        url=reverse("projects:rota", args=[project.pk]),
    )


@criterion(key="raci_accountable", label=_("Every work area has exactly one Accountable"), default_target=0,
           area="team", order=81)
def raci_accountable(project, target):
    summary = project_selectors.raci_summary(project=project)
    bad = len(summary["violations"])
    empty = not summary["areas"]
    return Result(
        value=bad,
        passed=not empty and bad <= target,
        explanation=NO_RACI() if empty else RACI_BAD(n=bad),
        url=reverse("projects:raci", args=[project.pk]),
    )


@gauges(key="milestones", label=_("Milestones"), area="schedule", order=5)
def milestone_gauges(project):
    counts = Milestone.objects.filter(project=project).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(actual_date__isnull=False)))
    if not counts["total"]:
        return []
    url = reverse("projects:home", args=[project.pk]) + "#milestones"
    return [Gauge(label=_("Milestones reached"), value=counts["done"], total=counts["total"], url=url, tone="info")]


@overdue(key="milestones", label=_("Milestones"), order=10)
def milestones_overdue(project, today):
    qs = Milestone.objects.filter(project=project, actual_date__isnull=True, planned_date__lt=today)
    items = [Overdue(title=m.name, due=m.planned_date, owner=m.owner, what=_("Milestone"),
                     url=reverse("projects:milestone", args=[project.pk, m.pk]))
             for m in qs.select_related("owner").order_by("planned_date", "id")[:8]]
    return OverdueList(items=items, total=qs.count())  # always two queries, whatever the size


@criterion(key="critical_risks_mitigated", label=_("Every critical risk is being mitigated"), default_target=0,
           area="risks", order=85)
def critical_risks_mitigated(project, target):
    """Critical risks (score 20–25) still open, occurred and not closed, or 'mitigating' with no
    mitigation written: each one blocks."""
    n = risks_critical_unmitigated(project=project).count()
    return Result(
        value=n, passed=n <= target,
        explanation=RISKS_UNMITIGATED(n=n),
        url=reverse("readiness:risks", args=[project.pk]) + "?level=critical",
    )


@gauges(key="risks", label=_("Risks"), area="risks", order=40)
def risk_gauges(project):
    counts = Risk.objects.filter(project=project).aggregate(
        active=Count("pk", filter=Q(status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING])),
        high=Count("pk", filter=Q(status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING], score__gte=10)),
        total=Count("pk"))
    if not counts["total"]:
        return []
    url = reverse("readiness:risks", args=[project.pk])
    return [Gauge(label=_("Active risks"), value=counts["active"], total=counts["total"], url=url + "?active=1",
                  tone="info"),
            Gauge(label=_("High or critical, active"), value=counts["high"], url=url + "?active=1",
                  tone="bad" if counts["high"] else "good")]


@overdue(key="risk_reviews", label=_("Risk reviews"), order=40)
def risk_reviews_overdue(project, today):
    qs = Risk.objects.filter(project=project, status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING],
                             review_on__lt=today)
    items = [Overdue(title=r.title, due=r.review_on, owner=r.owner, what=_("Risk review"),
                     url=reverse("readiness:risk", args=[project.pk, r.pk]))
             for r in qs.select_related("owner").order_by("review_on", "id")[:8]]
    return OverdueList(items=items, total=qs.count())
