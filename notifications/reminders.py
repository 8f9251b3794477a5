"""Reminder rules of the projects app (on-call rota, milestones), kept here because `projects`
does not import the other apps. Other apps register theirs in `<app>/reminders.py`.

Every sentence the notifications app sends is registered here (`message_template`): rows store
its key and parameters and render it when read, in the reader's language.
"""

from collections import defaultdict
from datetime import UTC, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Membership, Milestone, OnCallShift, Phase, Role

from .leads import max_lead
from .models import AlertSeverity, Notification
from .registry import ALERT, CHANNEL_TEST, Reminder, event_kind, lead_time, message_template, reminder_rule
from .selectors import target_label

event_kind(ALERT, label=_("Alert (on call)"))
event_kind(CHANNEL_TEST, label=_("Channel test"))

# Alerts: to the people called, and to the project's chats.
ALERT_CALL = message_template(
    "alert.call", _("{severity} alert in {code}: {title} (from {source}). You are called at step {step} of its "
                    "escalation: acknowledge it in Liftoff."), labels={"severity": AlertSeverity})
ALERT_IN = message_template("alert.triggered", _("{severity} alert: {title} (from {source})."),
                            labels={"severity": AlertSeverity})
ALERT_ESCALATED = message_template("alert.escalated",
                                   _("Alert “{title}” was not acknowledged; escalated to step {step}: {people}."))
ALERT_NOBODY = message_template("alert.nobody", _("Alert “{title}”: step {step} ({target}) found nobody to call."),
                                labels={"target": target_label})  # “On-call backup”, “Role: …” for each reader
ALERT_ACKED = message_template("alert.acknowledged", _("Alert “{title}” acknowledged by {who}."))
ALERT_RESOLVED = message_template("alert.resolved", _("Alert “{title}” resolved by {who}."))
CHANNEL_TEST_MESSAGE = message_template(
    CHANNEL_TEST, _("Test message from Liftoff: this channel works. Sent by %(who)s."))

SHIFT = "oncall_shift_starting"
SHIFT_LEAD = timedelta(hours=12)
SLIPPING = "milestone_slipping"


def _minutes(dt):
    """'2026-11-27 08:30' (an aware datetime, in its own zone): isoformat is several times faster
    than strftime, which counts at 100,000 shifts a sweep."""
    return dt.isoformat(" ", "minutes")[:16]


SHIFT_MESSAGE = message_template(SHIFT, _("You are on call for {code} from {start} to {end}."))
SLIPPING_MESSAGE = message_template(
    SLIPPING, _("Milestone “{name}” is slipping: planned for {planned}, now forecast for {forecast} ({days} days late)."))
OVERDUE_MESSAGE = message_template(f"{SLIPPING}.overdue",
                                   _("Milestone “{name}” was planned for {planned} and is not done yet."))


@reminder_rule(SHIFT, label=_("On-call shift starting"), default_lead=SHIFT_LEAD, skips_told=True)
def oncall_shifts_starting(*, now):
    """The person on duty, `lead` (12 h by default) before their shift starts."""
    horizon = now + max_lead(SHIFT, SHIFT_LEAD)
    shifts = (
        OnCallShift.objects.filter(starts_at__gt=now, starts_at__lte=horizon)
        .exclude(project__phase=Phase.CLOSED)
        # already told about this shift at this start time: skipped in SQL, not row by row
        .exclude(Exists(Notification.objects.filter(
            subject_type=ContentType.objects.get_for_model(OnCallShift), subject_id=OuterRef("pk"), kind=SHIFT,
            recipient_id=OuterRef("user_id"), due_at=OuterRef("starts_at"))))
        .order_by("starts_at", "id")
        .values_list("id", "user_id", "starts_at", "ends_at", "project_id", "project__code")
    )
    rota_urls, leads = {}, {}  # one reverse() and one lead-time lookup per project, not per shift
    tz = timezone.get_current_timezone()
    for pk, user_id, starts_at, ends_at, project_id, code in shifts.iterator(chunk_size=5000):
        if project_id not in leads:
            leads[project_id] = lead_time(project_id, SHIFT)
            rota_urls[project_id] = reverse("projects:rota", args=[project_id])
        if starts_at - now > leads[project_id]:
            continue
        local_start = starts_at.astimezone(tz)
        week = local_start.date() - timedelta(days=local_start.weekday())
        utc = starts_at.astimezone(UTC)
        yield Reminder(
            recipient=user_id, kind=SHIFT, project=project_id, subject=(OnCallShift, pk),
            message=SHIFT_MESSAGE(code=code, start=_minutes(local_start), end=_minutes(ends_at.astimezone(tz))),
            url=f"{rota_urls[project_id]}?week={week.isoformat()}",
            due_at=starts_at,
            dedupe_key=f"{SHIFT}:{pk}:{user_id}:{utc.year:04d}{utc.month:02d}{utc.day:02d}{utc.hour:02d}"
                       f"{utc.minute:02d}",
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
            message = SLIPPING_MESSAGE(name=m.name, planned=m.planned_date.isoformat(), forecast=expected.isoformat(),
                                       days=(expected - m.planned_date).days)
        else:
            message = OVERDUE_MESSAGE(name=m.name, planned=m.planned_date.isoformat())
        for user_id in managers[m.project_id]:
            yield Reminder(
                recipient=user_id, kind=SLIPPING, project=m.project_id, subject=m, message=message,
                url=reverse("projects:milestone", args=[m.project_id, m.pk]),
                due_at=None,
                dedupe_key=f"{SLIPPING}:{m.pk}:{user_id}:{m.planned_date:%Y%m%d}:"
                           f"{expected.strftime('%Y%m%d') if expected else 'overdue'}",
            )
