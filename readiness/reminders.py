"""Reminder rules of readiness: risk reviews and meeting actions that fall due (or are overdue), for their owners."""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, message_template, reminder_rule

from .models import ActionStatus, MeetingAction, Risk, RiskStatus

RISK_REVIEW_LATE = message_template(
    "risk_review_due.overdue", gettext_lazy("Risk “{title}” (score {score}) was due for review on {date}."))
RISK_REVIEW_SOON = message_template(
    "risk_review_due", gettext_lazy("Risk “{title}” (score {score}) is due for review on {date}."))
ACTION_LATE = message_template("action_due.overdue", gettext_lazy("Action “{text}” from “{meeting}” was due on {date}."))
ACTION_SOON = message_template("action_due", gettext_lazy("Action “{text}” from “{meeting}” is due on {date}."))
STATUS_REPORT_MESSAGE = message_template(
    "status_report", gettext_lazy("Weekly status report of {project}, week of {week}: readiness {score}%. "
                                  "The page and the PDF are linked."))


def _active_risks():
    return (Risk.objects.filter(status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING], review_on__isnull=False)
            .select_related("owner", "project"))


@reminder_rule("risk_review_due", label=gettext_lazy("Risk review due"), default_lead=timedelta(days=1))
def risk_reviews_due(*, now):
    """Active risks whose review date is within the lead time (a day by default), or past: one reminder
    per risk and review date, to its owner."""
    today = timezone.localdate(now)
    for risk in _active_risks().filter(review_on__lte=today + timedelta(days=14)):
        lead = lead_time(risk.project_id, "risk_review_due") or timedelta(days=1)
        if risk.review_on - today > lead:
            continue
        overdue = risk.review_on < today
        template = RISK_REVIEW_LATE if overdue else RISK_REVIEW_SOON
        yield Reminder(
            recipient=risk.owner, kind="risk_review_due", project=risk.project, subject=risk,
            message=template(title=risk.title, score=risk.score, date=f"{risk.review_on:%Y-%m-%d}"),
            url=reverse("readiness:risk", args=[risk.project_id, risk.pk]),
            due_at=timezone.make_aware(datetime.combine(risk.review_on, time(9))),
            dedupe_key=f"risk_review_due:{risk.pk}:{risk.review_on:%Y%m%d}",
        )


@reminder_rule("action_due", label=gettext_lazy("Meeting action due"), default_lead=timedelta(days=1))
def actions_due(*, now):
    """Open meeting actions due within the lead time (a day by default) or overdue: one reminder per
    action and due date, to its owner."""
    today = timezone.localdate(now)
    qs = (MeetingAction.objects.filter(status=ActionStatus.OPEN, due__lte=today + timedelta(days=14))
          .select_related("owner", "project", "meeting"))
    for action in qs:
        lead = lead_time(action.project_id, "action_due") or timedelta(days=1)
        if action.due - today > lead:
            continue
        template = ACTION_LATE if action.due < today else ACTION_SOON
        yield Reminder(
            recipient=action.owner, kind="action_due", project=action.project, subject=action,
            message=template(text=action.text, meeting=action.meeting.title, date=f"{action.due:%Y-%m-%d}"),
            url=reverse("readiness:meeting", args=[action.project_id, action.meeting_id]) + f"#action-{action.pk}",
            due_at=timezone.make_aware(datetime.combine(action.due, time(18))),
            dedupe_key=f"action_due:{action.pk}:{action.due:%Y%m%d}",
        )


# Sent at once by the weekly job (not by the sweep): named here so the inbox and preferences show it.
event_kind("status_report", label=gettext_lazy("Weekly status report"))
