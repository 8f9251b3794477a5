"""Team readiness: the rota covers the cutover window and hypercare; every RACI area has one A."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors
from .readiness import Result, criterion


@criterion(key="rota_gaps", label=_("On-call rota covers cutover and hypercare"), default_target=0, area="team",
           order=80)
def rota_coverage(project, target):
    gaps = selectors.rota_gaps(project=project)
    hours = round(sum((e - s).total_seconds() for s, e in gaps) / 3600, 1)
    return Result(
        value=len(gaps),
        passed=len(gaps) <= target,
        explanation=ngettext("%(n)d gap (%(h)s h) without anyone on duty", "%(n)d gaps (%(h)s h) without anyone on duty",
                             len(gaps)) % {"n": len(gaps), "h": hours},
        url=reverse("projects:rota", args=[project.pk]),
    )


@criterion(key="raci_accountable", label=_("Every work area has exactly one Accountable"), default_target=0,
           area="team", order=81)
def raci_accountable(project, target):
    grid = selectors.raci_grid(project=project)
    bad = len(grid["violations"])
    empty = not grid["rows"]
    return Result(
        value=bad,
        passed=not empty and bad <= target,
        explanation=_("No responsibilities written down yet") if empty else ngettext(
            "%(n)d work area without exactly one A", "%(n)d work areas without exactly one A", bad) % {"n": bad},
        url=reverse("projects:raci", args=[project.pk]),
    )

from . import readiness_dashboard, readiness_rules  # noqa: E402,F401  rules and dashboard providers of projects
