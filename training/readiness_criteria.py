"""Training readiness: the share of people with required courses who completed all of them."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from readiness.registry import Result, criterion

from . import selectors


@criterion(key="training_coverage", label=gettext_lazy("Required staff trained"), default_target=95,
           area="training", order=60)
def training_coverage(project, target):
    required, trained = selectors.coverage_counts(project=project)
    url = reverse("training:coverage", args=[project.pk])
    if not required:
        return Result(value=0, passed=False, url=url, display="—",
                      explanation=_("No course is required of anyone yet: set the roles or departments each course "
                                    "is required for."))
    pct = round(trained * 100 / required, 1)
    return Result(
        value=pct, passed=pct >= float(target), url=url, display=f"{pct:g}%",
        explanation=_("%(trained)d of %(required)d people completed every course required of them; "
                      "%(left)d still untrained.") % {"trained": trained, "required": required,
                                                       "left": required - trained},
    )


@criterion(key="change_impacts_covered", label=gettext_lazy("High change impacts have required training"),
           default_target=100, area="training", order=61)
def change_impacts_covered(project, target):
    """Every high impact of the new system on a department or role has a course required of those staff."""
    high = selectors.change_impacts(project=project, level="high")
    url = reverse("training:impacts", args=[project.pk])
    if not high:
        return Result(value=100, passed=True, url=url, display="—",
                      explanation=_("No high change impact recorded."))
    covered = sum(1 for i in high if i.covered)
    pct = round(covered * 100 / len(high), 1)
    missing = [i.area for i in high if not i.covered]
    explanation = (_("%(covered)d of %(total)d high impacts have a required course.")
                   % {"covered": covered, "total": len(high)})
    if missing:
        explanation += " " + _("Without one: %(areas)s.") % {"areas": ", ".join(missing[:5])}
    return Result(value=pct, passed=pct >= float(target), url=url, display=f"{pct:g}%",
                  explanation=explanation)
