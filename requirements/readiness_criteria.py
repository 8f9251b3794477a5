"""Requirements readiness: every must-have approved, no unresolved conflicts."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from readiness.registry import Result, criterion

from . import selectors
from .models import ConflictStatus, RequirementConflict


@criterion(key="requirements_must_approved", label=gettext_lazy("Must-have requirements approved"),
           default_target=100, area="requirements", order=10)
def must_approved(project, target):
    approved, total = selectors.must_approval(project=project)
    if not total:
        return Result(value=0, passed=False, explanation=_("No must-have requirements written down yet"),
                      url=reverse("requirements:list", args=[project.pk]), display="—")
    share = round(approved * 100 / total, 1)
    return Result(
        value=share,
        passed=share >= target,
        explanation=_("%(a)d of %(t)d must-have requirements approved (rejected ones do not count)")
        % {"a": approved, "t": total},
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
        explanation=ngettext("%(n)d conflict between departments not settled",
                             "%(n)d conflicts between departments not settled", n) % {"n": n},
        url=reverse("requirements:conflicts", args=[project.pk]),
        display=str(n),
    )
