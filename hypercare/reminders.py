"""Reminder rules of hypercare: retrospective actions that fall due feed the reminders; and the
kinds hypercare sends at once (the daily report, an answer to feedback).

Collected by the notifications sweep (notifications.registry.autodiscover); set-based queries,
no query per row. Messages are registered templates (key + parameters), rendered for each reader.
"""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.registry import Reminder, event_kind, lead_time, message_template, reminder_rule
from projects.models import Phase

from .models import LessonAction, LessonActionStatus

ACTION_DUE = "lesson_action_due"
ACTION_LEAD = timedelta(days=2)
HORIZON = timedelta(days=60)  # the longest lead time a project could sensibly configure

ACTION_OVERDUE_MESSAGE = message_template(
    f"{ACTION_DUE}.overdue", _("Retrospective action for {code} is overdue since {due}: {title}"))
ACTION_DUE_MESSAGE = message_template(ACTION_DUE, _("Retrospective action for {code} is due on {due}: {title}"))
FEEDBACK_ANSWERED_MESSAGE = message_template("feedback_answered", _("Your feedback {key} was answered: {answer}"))


def _nobody(names):
    return names or _("nobody")


# The daily report: two sentences, each translated; the people on duty are names (or "nobody").
REPORT_INCIDENTS = message_template(
    "hypercare_report.incidents",
    _("Hypercare report {project}, {day}: {new} new, {resolved} resolved, {open} open incidents ({critical} critical); "
      "{feedback} feedback received. On duty today: {today}; tomorrow: {tomorrow}."),
    labels={"today": _nobody, "tomorrow": _nobody})
REPORT_COMPLAINTS = message_template(
    "hypercare_report.complaints", _("Customer complaints: {received} received, {unresolved} unresolved."))
REPORT_MESSAGE = message_template("hypercare_report", "{incidents} {complaints}")
COMPLAINT_WAITING_MESSAGE = message_template(
    "complaint_waiting", _("Complaint {key} ({category}) has waited since {when}: start investigating."))


@reminder_rule(ACTION_DUE, label=_("Retrospective action due"), default_lead=ACTION_LEAD)
def lesson_actions_due(*, now):
    """The owner of an open action, `lead` (2 days by default) before its due date; once more when overdue."""
    today = timezone.localdate(now)
    actions = (LessonAction.objects.filter(status=LessonActionStatus.OPEN, due_date__lte=today + HORIZON)
               .exclude(project__phase=Phase.CLOSED)
               .select_related("project").only("id", "title", "owner_id", "due_date", "project__id", "project__code")
               .order_by("due_date", "id"))
    for action in actions.iterator(chunk_size=2000):
        lead = lead_time(action.project_id, ACTION_DUE) or ACTION_LEAD
        if action.due_date - today > lead:
            continue
        overdue = action.due_date < today
        stage = "overdue" if overdue else "due"
        message = ACTION_OVERDUE_MESSAGE if overdue else ACTION_DUE_MESSAGE
        yield Reminder(
            recipient=action.owner_id, kind=ACTION_DUE, project=action.project_id, subject=action,
            message=message(code=action.project.code, due=action.due_date.isoformat(), title=action.title),
            url=reverse("hypercare:lessons", args=[action.project_id]) + "#actions",
            due_at=timezone.make_aware(datetime.combine(action.due_date, time(9))),
            dedupe_key=f"{ACTION_DUE}:{action.pk}:{action.due_date:%Y%m%d}:{stage}",
        )


# Kinds sent at once by notify() (named here so the inbox, preferences and e-mails show a label).
event_kind("hypercare_report", label=_("Daily hypercare report"))
event_kind("feedback_answered", label=_("Feedback answered"))


COMPLAINT_WAITING = "complaint_waiting"
COMPLAINT_WAIT = timedelta(days=1)


@reminder_rule(COMPLAINT_WAITING, label=_("Customer complaint waiting"), default_lead=COMPLAINT_WAIT)
def complaints_waiting(*, now):
    """A complaint still open (nobody investigating) a day (the lead time) after it came in: its owner,
    or the project's managers while it has none. Once per complaint and recipient."""
    from projects.models import Membership, Role

    from .models import Complaint, ComplaintStatus

    waiting = list(Complaint.objects.filter(status=ComplaintStatus.OPEN, received_at__lte=now - timedelta(minutes=1))
                   .exclude(project__phase=Phase.CLOSED).select_related("owner", "project"))
    projects = {c.project_id for c in waiting if c.owner_id is None}
    managers = {}
    for m in Membership.objects.filter(project_id__in=projects, role=Role.MANAGER).select_related("user"):
        managers.setdefault(m.project_id, []).append(m.user)
    for complaint in waiting:
        wait = lead_time(complaint.project_id, COMPLAINT_WAITING) or COMPLAINT_WAIT
        if complaint.received_at > now - wait:
            continue
        url = reverse("hypercare:complaint", args=[complaint.project_id, complaint.pk])
        for recipient in [complaint.owner] if complaint.owner_id else managers.get(complaint.project_id, []):
            yield Reminder(
                recipient=recipient, kind=COMPLAINT_WAITING, project=complaint.project, subject=complaint, url=url,
                due_at=complaint.received_at + wait,
                message=COMPLAINT_WAITING_MESSAGE(
                    key=complaint.key, category=complaint.category,
                    when=timezone.localtime(complaint.received_at).strftime("%Y-%m-%d %H:%M")),
                dedupe_key=f"{COMPLAINT_WAITING}:{complaint.pk}:{recipient.pk}",
            )
