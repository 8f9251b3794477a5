"""The requirements import kind (see projects.imports): a row per requirement, keyed by its title."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import imports
from projects.imports import CREATED, UNCHANGED, UPDATED, Column
from projects.models import Department

from .models import Priority, Requirement
from .services import requirement_create, requirement_update


def _context(*, project):
    return {"departments": {d.name.lower(): d for d in Department.objects.filter(project=project)},
            "existing": {r.title.strip().lower(): r for r in Requirement.objects.filter(project=project)
                         .select_related("department")}}


def requirement_row(*, actor, project, values, context):
    title = imports.text(values, "title", max_length=200)
    dept_name = imports.text(values, "department", max_length=120)
    department = context["departments"].get(dept_name.lower()) if dept_name else None
    if dept_name and department is None:
        raise imports.DomainError(_("There is no department “%(d)s” in this project; add it on the Team page first.")
                                  % {"d": dept_name}, field="department")
    fields = {"description": imports.text(values, "description"),
              "acceptance_criteria": imports.text(values, "acceptance_criteria"),
              "priority": imports.choice(values, "priority", Priority, default=Priority.SHOULD),
              "department": department}
    existing = context["existing"].get(title.lower())
    if existing is None:
        requirement = requirement_create(actor=actor, project=project, title=title, **fields)
        return CREATED, f"{requirement.code} {title}"
    diff = {k: v for k, v in fields.items() if getattr(existing, k) != v}
    if not diff:
        return UNCHANGED, f"{existing.code} {title}"
    requirement_update(actor=actor, requirement=existing, **diff)
    return UPDATED, f"{existing.code} {title}"


REQUIREMENTS = imports.register(imports.ImportKind(
    key="requirements", label=gettext_lazy("requirements"), row=requirement_row, prepare=_context,
    columns=[
        Column("title", gettext_lazy("title"), "标题", True),
        Column("description", gettext_lazy("description"), "描述"),
        Column("priority", gettext_lazy("priority"), "优先级", False, gettext_lazy("must, should, could or wont")),
        Column("department", gettext_lazy("department"), "部门", False,
               gettext_lazy("a department of this project (Team page)")),
        Column("acceptance_criteria", gettext_lazy("acceptance criteria"), "验收标准"),
    ],
))
