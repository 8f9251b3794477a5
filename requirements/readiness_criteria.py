"""Requirements readiness: every must-have approved, no unresolved conflicts."""

from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext_lazy

from readiness.registry import Result, criterion, explanation

from . import selectors
from .models import ConflictStatus, RequirementConflict

NO_MUST = explanation("requirements.no_must", gettext_lazy("No must-have requirements written down yet"))
MUST_APPROVED = explanation("requirements.must_approved", gettext_lazy(
    "%(a)d of %(t)d must-have requirements approved (rejected ones do not count)"))
CONFLICTS = explanation("requirements.conflicts", ngettext_lazy(
    "%(n)d conflict between departments not settled", "%(n)d conflicts between departments not settled", "n"))


@criterion(key="requirements_must_approved", label=gettext_lazy("Must-have requirements approved"),
           default_target=100, area="requirements", order=10)
def must_approved(project, target):
    approved, total = selectors.must_approval(project=project)
    if not total:
        return Result(value=0, passed=False, explanation=NO_MUST(),
                      url=reverse("requirements:list", args=[project.pk]), display="—")
    share = round(approved * 100 / total, 1)
    return Result(
        value=share,
        passed=share >= target,
        explanation=MUST_APPROVED(a=approved, t=total),
        url=reverse("requirements:list", args=[project.pk]) + "?priority=must",
        display=f"{share:g}%",
    )


@criterion(key="requirements_conflicts", label=gettext_lazy("Unresolved requirement conflicts"), default_target=0,
           area="requirements", order=11)
def unresolved_conflicts(project, target):
    n = RequirementConflict.objects.filter(project=project, status=ConflictStatus.OPEN).count()
    return Result(
        value=n,
        passed=n <= target,
        explanation=CONFLICTS(n=n),
        url=reverse("requirements:conflicts", args=[project.pk]),
        display=str(n),
    )
