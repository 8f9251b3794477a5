"""The work-item import kind (see projects.imports): a row per preparation item, keyed by its title."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import imports
from projects.imports import CREATED, UNCHANGED, UPDATED, Column
from projects.models import Phase

from .models import WorkItem
from .services import workitem_create, workitem_update

User = get_user_model()


def _context(*, project):
    members = User.objects.filter(memberships__project=project).distinct()
    return {"members": {u.username.lower(): u for u in members},
            "existing": {w.title.strip().lower(): w for w in WorkItem.objects.filter(project=project)}}


def workitem_row(*, actor, project, values, context):
    title = imports.text(values, "title", max_length=200)
    username = imports.text(values, "owner")
    owner = None
    if username:
        owner = context["members"].get(username.lower())
        if owner is None:
            raise imports.DomainError(_("%(u)s is not a member of this project.") % {"u": username}, field="owner")
    fields = {"owner": owner, "due_at": imports.moment(values, "due"),
              "phase": imports.choice(values, "category", Phase, default=Phase.PREPARATION)}
    existing = context["existing"].get(title.lower())
    if existing is None:
        workitem_create(actor=actor, project=project, title=title, **fields)
        return CREATED, title
    diff = {k: v for k, v in fields.items() if getattr(existing, k) != v}
    if not diff:
        return UNCHANGED, title
    workitem_update(actor=actor, item=existing, **diff)
    return UPDATED, title


WORK_ITEMS = imports.register(imports.ImportKind(
    key="work-items", label=gettext_lazy("work items"), row=workitem_row, prepare=_context, rule="tasks.import_work_items",
    columns=[
        Column("title", gettext_lazy("title"), "标题", True),
        Column("owner", gettext_lazy("owner"), "负责人", False, gettext_lazy("a member's username")),
        Column("due", gettext_lazy("due"), "截止日期", False, gettext_lazy("YYYY-MM-DD or YYYY-MM-DD HH:MM")),
        Column("category", gettext_lazy("category"), "类别", False,
               gettext_lazy("the phase: preparation, testing, rehearsal, cutover, hypercare")),
    ],
))
