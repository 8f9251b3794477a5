"""The core's export kinds: people (the roster) and milestones (see projects.export_registry).

Both read back through the matching import (projects.import_kinds): same headers, roles as keys,
usernames, dates as dates."""

from itertools import groupby

from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import export_registry as registry
from .forms import RosterFilterForm
from .import_kinds import MILESTONES, PEOPLE
from .models import Membership
from .people import display_name
from .selectors import milestones, roster


def people_table(*, user, project, params):
    """One row per person (their roles comma-separated), with the roster page's filters (q, role,
    department). E-mail and phone only for a reader who may see contacts (projects.see_contacts)."""
    f = registry.filter_errors(RosterFilterForm(params or None))
    contacts = user.has_perm("projects.see_contacts", project)
    matching = roster(project=project, role=f.get("role"), department=f.get("department"), q=f.get("q"),
                      contacts=contacts)
    # Every role of each person found (a role filter picks people, it does not hide their other roles).
    held = (Membership.objects.filter(project=project, user_id__in=Subquery(matching.order_by().values("user_id")))
            .select_related("user", "department")
            .order_by("user__last_name", "user__first_name", "user__username", "role"))
    header = registry.import_header(PEOPLE)
    if not contacts:
        keys = [c.key for c in PEOPLE.columns]
        header = [h for h, k in zip(header, keys, strict=True) if k not in ("email", "phone")]

    def rows():
        for _user_id, group in groupby(held.iterator(chunk_size=2000), key=lambda m: m.user_id):
            group = list(group)
            person = group[0].user
            first = next((m for m in group if m.department_id or m.job_title or m.phone), group[0])
            row = {"username": person.username, "full_name": display_name(person), "email": person.email,
                   "department": first.department.name if first.department else "",
                   "roles": ", ".join(m.role for m in group), "job_title": first.job_title, "phone": first.phone}
            yield [row[c.key] for c in PEOPLE.columns if contacts or c.key not in ("email", "phone")]

    return header, rows()


def milestone_table(*, user, project, params):
    """The milestones by planned date: the import's name and planned date, then forecast, actual, owner, slip."""
    today = timezone.localdate()
    header = registry.import_header(MILESTONES, extra_after=[
        _("Phase"), _("Forecast"), _("Actual"), _("Owner"), _("Slip (days)"), _("State")])
    rows = []
    for m in milestones(project=project):
        slip = m.slip_days(today)
        state = _("done") if m.done else (_("slipping") if slip > 0 else _("on track"))
        rows.append([m.name, m.planned_date, m.get_phase_display(), m.forecast_date, m.actual_date,
                     display_name(m.owner) if m.owner else "", slip, state])
    return header, rows


PEOPLE_EXPORT = registry.register(registry.ExportKind(
    key="people", label=gettext_lazy("People"), table=people_table,
    rule="projects.view",  # the roster page's rule; contacts are limited inside the table
    widths=(18, 18, 28, 18, 28, 20, 16)))

MILESTONES_EXPORT = registry.register(registry.ExportKind(
    key="milestones", label=gettext_lazy("Milestones"), table=milestone_table,
    widths=(36, 12, 14, 12, 12, 16, 10, 12)))
