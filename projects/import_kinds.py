"""The core's import kinds: people (users and their memberships) and milestones (see projects.imports)."""

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import imports
from projects.imports import CREATED, UNCHANGED, UPDATED, Column
from projects.models import Department, Membership, Milestone, Role
from projects.people import display_name
from projects.services import membership_add, membership_update, milestone_create, milestone_update, person_create

User = get_user_model()


def _people_context(*, project):
    return {"departments": {d.name.lower(): d for d in Department.objects.filter(project=project)}}


def _roles(values):
    raw = imports.text(values, "roles")
    keys = [r.strip().lower() for r in raw.replace("，", ",").replace(";", ",").split(",") if r.strip()]
    accepted = {}
    for role in Role:
        accepted[role.value] = role.value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                accepted[str(role.label).lower()] = role.value
    unknown = [k for k in keys if k not in accepted]
    if unknown or not keys:
        raise imports.DomainError(_("Unknown role(s) %(bad)s; use: %(roles)s.")
                                  % {"bad": ", ".join(unknown) or "—", "roles": ", ".join(Role.values)}, field="roles")
    return list(dict.fromkeys(accepted[k] for k in keys))


def people_row(*, actor, project, values, context):
    """Create the user if missing (no usable password: they sign in through the directory) and add the roles.

    An existing user's name and e-mail are never changed by an import (the directory or the person owns
    them); their memberships here get the department, job title and phone from the row."""
    username = imports.text(values, "username", max_length=150)
    roles = _roles(values)
    dept_name = imports.text(values, "department", max_length=120)
    department = context["departments"].get(dept_name.lower()) if dept_name else None
    if dept_name and department is None:
        raise imports.DomainError(_("There is no department “%(d)s” in this project; add it on the Team page first.")
                                  % {"d": dept_name}, field="department")
    job_title = imports.text(values, "job_title", max_length=120)
    phone = imports.text(values, "phone", max_length=40)
    user = User.objects.filter(username__iexact=username).first()
    created = user is None
    if created:
        user = person_create(actor=actor, username=username, full_name=imports.text(values, "full_name"),
                             email=imports.text(values, "email", max_length=254))
    held = {m.role: m for m in Membership.objects.filter(project=project, user=user)}
    changed = created
    for role in roles:
        if role not in held:
            membership_add(actor=actor, project=project, user=user, role=role, department=department,
                           job_title=job_title, phone=phone)
            changed = True
    for membership in held.values():
        wanted = {"department": department, "job_title": job_title, "phone": phone}
        diff = {k: v for k, v in wanted.items() if getattr(membership, k) != v}
        if diff:
            membership_update(actor=actor, membership=membership, **diff)
            changed = True
    action = CREATED if created else (UPDATED if changed else UNCHANGED)
    return action, f"{display_name(user)} ({user.username}): {', '.join(roles)}"


def milestone_row(*, actor, project, values, context):
    name = imports.text(values, "name", max_length=200)
    planned = imports.day(values, "planned_date")
    existing = Milestone.objects.filter(project=project, name__iexact=name).first()
    if existing is None:
        milestone_create(actor=actor, project=project, name=name, planned_date=planned)
        return CREATED, f"{name} · {planned:%Y-%m-%d}"
    if existing.planned_date == planned:
        return UNCHANGED, f"{name} · {planned:%Y-%m-%d}"
    milestone_update(actor=actor, milestone=existing, planned_date=planned)
    return UPDATED, f"{name} · {planned:%Y-%m-%d}"


PEOPLE = imports.register(imports.ImportKind(
    key="people", label=gettext_lazy("people"), natural_key="username", row=people_row, prepare=_people_context,
    columns=[
        Column("username", gettext_lazy("username"), "用户名", True,
               gettext_lazy("the sign-in name, as in the bank's directory")),
        Column("full_name", gettext_lazy("full name"), "姓名", False, gettext_lazy("e.g. 王建国 or Na Li")),
        Column("email", gettext_lazy("email"), "邮箱"),
        Column("department", gettext_lazy("department"), "部门", False,
               gettext_lazy("a department of this project (Team page)")),
        Column("roles", gettext_lazy("roles"), "角色", True, imports.ROLE_HELP),
        Column("job_title", gettext_lazy("job title"), "职务"),
        Column("phone", gettext_lazy("phone"), "电话"),
    ],
))

MILESTONES = imports.register(imports.ImportKind(
    key="milestones", label=gettext_lazy("milestones"), natural_key="name", row=milestone_row,
    columns=[
        Column("name", gettext_lazy("name"), "名称", True),
        Column("planned_date", gettext_lazy("planned date"), "计划日期", True, gettext_lazy("YYYY-MM-DD")),
    ],
))
