"""Training readiness: the share of people with required courses who completed all of them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy

from readiness.registry import Result, criterion, explanation

from . import selectors

NONE_REQUIRED = explanation("training.none_required", gettext_lazy(
    "No course is required of anyone yet: set the roles or departments each course is required for."))
TRAINED = explanation("training.trained", gettext_lazy(
    "%(trained)d of %(required)d people completed every course required of them; %(left)d still untrained."))
NO_HIGH_IMPACT = explanation("training.no_high_impact", gettext_lazy("No high change impact recorded."))


def _without(areas):
    return " " + gettext_lazy("Without one: %(areas)s.") % {"areas": areas} if areas else ""


IMPACTS_COVERED = explanation("training.impacts_covered", "{covered}{missing}", labels={
    "covered": lambda pair: gettext_lazy("%(covered)d of %(total)d high impacts have a required course.")
    % {"covered": pair[0], "total": pair[1]}, "missing": _without})


@criterion(key="training_coverage", label=gettext_lazy("Required staff trained"), default_target=95,
           area="training", order=60)
def training_coverage(project, target):
    required, trained = selectors.coverage_counts(project=project)
    url = reverse("training:coverage", args=[project.pk])
    if not required:
        return Result(value=0, passed=False, url=url, display="—",
                      explanation=NONE_REQUIRED())
    pct = round(trained * 100 / required, 1)
    return Result(
        value=pct, passed=pct >= float(target), url=url, display=f"{pct:g}%",
        explanation=TRAINED(trained=trained, required=required, left=required - trained),
    )


@criterion(key="change_impacts_covered", label=gettext_lazy("High change impacts have required training"),
           default_target=100, area="training", order=61)
def change_impacts_covered(project, target):
    """Every high impact of the new system on a department or role has a course required of those staff."""
    high = selectors.change_impacts(project=project, level="high", with_people=False)
    url = reverse("training:impacts", args=[project.pk])
    if not high:
        return Result(value=100, passed=True, url=url, display="—",
                      explanation=NO_HIGH_IMPACT())
    covered = sum(1 for i in high if i.covered)
    pct = round(covered * 100 / len(high), 1)
    missing = [i.area for i in high if not i.covered]
    said = IMPACTS_COVERED(covered=[covered, len(high)], missing=", ".join(missing[:5]))
    return Result(value=pct, passed=pct >= float(target), url=url, display=f"{pct:g}%",
                  explanation=said)
