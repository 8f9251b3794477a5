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
