"""Reminder rules of the projects app (on-call rota, milestones), kept here because `projects`
does not import the other apps. Other apps register theirs in `<app>/reminders.py`.

Messages are lazy (format_lazy + gettext_lazy): the sweep renders each in its recipient's language.
"""

from collections import defaultdict
from datetime import timedelta

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from projects.models import Membership, Milestone, OnCallShift, Phase, Role

from .leads import max_lead
from .registry import Reminder, lead_time, reminder_rule

SHIFT = "oncall_shift_starting"
SHIFT_LEAD = timedelta(hours=12)
SLIPPING = "milestone_slipping"


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


@reminder_rule(SHIFT, label=_("On-call shift starting"), default_lead=SHIFT_LEAD)
def oncall_shifts_starting(*, now):
    """The person on duty, `lead` (12 h by default) before their shift starts."""
    horizon = now + max_lead(SHIFT, SHIFT_LEAD)
    shifts = (
        OnCallShift.objects.filter(starts_at__gt=now, starts_at__lte=horizon)
        .exclude(project__phase=Phase.CLOSED)
        .select_related("project")
        .only("id", "user_id", "starts_at", "ends_at", "note", "project__id", "project__code")
        .order_by("starts_at", "id")
    )
    for shift in shifts.iterator(chunk_size=2000):
        if shift.starts_at - now > lead_time(shift.project_id, SHIFT):
            continue
        week = timezone.localtime(shift.starts_at).date()
        week -= timedelta(days=week.weekday())
        yield Reminder(
            recipient=shift.user_id, kind=SHIFT, project=shift.project_id, subject=shift,
            message=format_lazy(_("You are on call for {code} from {start} to {end}."), code=shift.project.code,
                                start=_local(shift.starts_at), end=_local(shift.ends_at)),
            url=reverse("projects:rota", args=[shift.project_id]) + f"?week={week.isoformat()}",
            due_at=shift.starts_at,
            dedupe_key=f"{SHIFT}:{shift.pk}:{shift.user_id}:{shift.starts_at:%Y%m%d%H%M}",
        )


@reminder_rule(SLIPPING, label=_("Milestone slipping"), default_lead=None)
def milestones_slipping(*, now):
    """The project's managers, once when a milestone is overdue and again for every new forecast."""
    today = timezone.localdate(now)
    milestones = (
        Milestone.objects.filter(actual_date__isnull=True)
        .filter(Q(forecast_date__gt=F("planned_date")) | Q(planned_date__lt=today))
        .exclude(project__phase=Phase.CLOSED)
        .only("id", "name", "project_id", "planned_date", "forecast_date")
        .order_by("project_id", "planned_date", "id")
    )
    managers = defaultdict(list)
    for project_id, user_id in Membership.objects.filter(
        role=Role.MANAGER, project_id__in=milestones.values("project_id")
    ).values_list("project_id", "user_id").distinct():
        managers[project_id].append(user_id)
    for m in milestones.iterator(chunk_size=2000):
        expected = m.forecast_date if m.forecast_date and m.forecast_date > m.planned_date else None
        if expected:
            message = format_lazy(_("Milestone “{name}” is slipping: planned for {planned}, now forecast for "
                                    "{forecast} ({days} days late)."), name=m.name, planned=m.planned_date,
                                  forecast=expected, days=(expected - m.planned_date).days)
        else:
            message = format_lazy(_("Milestone “{name}” was planned for {planned} and is not done yet."),
                                  name=m.name, planned=m.planned_date)
        for user_id in managers[m.project_id]:
            yield Reminder(
                recipient=user_id, kind=SLIPPING, project=m.project_id, subject=m, message=message,
                url=reverse("projects:milestone", args=[m.project_id, m.pk]),
                due_at=None,
                dedupe_key=f"{SLIPPING}:{m.pk}:{user_id}:{m.planned_date:%Y%m%d}:"
                           f"{expected.strftime('%Y%m%d') if expected else 'overdue'}",
            )
