"""SLA reminders for defects: about to breach and breached, to the assignee and the managers.

Set-based: one query for the defects, one for the managers of their projects. The dedupe key
names the deadline, so each person hears once per deadline (a re-rated or reopened defect
gets a new deadline and so a new reminder).
"""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, lead_time, message_template, reminder_rule
from projects.models import Membership, Role

from .models import FIX_PENDING_STATUSES, Defect, Severity, Status

SOON = "defect_sla_soon"
BREACHED = "defect_sla_breached"

# What notifications about defects say: stored as key + parameters, rendered for each reader.
_DEADLINES = {"triage": gettext_lazy("triage"), "fix": gettext_lazy("fix")}
SLA_SOON_MESSAGE = message_template(
    SOON, gettext_lazy("%(key)s “%(title)s” (%(severity)s): the %(what)s deadline is %(due)s."),
    labels={"severity": Severity, "what": _DEADLINES})
SLA_BREACHED_MESSAGE = message_template(
    BREACHED, gettext_lazy("%(key)s “%(title)s” (%(severity)s) is overdue: the %(what)s deadline was %(due)s."),
    labels={"severity": Severity, "what": _DEADLINES})
ASSIGNED_MESSAGE = message_template(
    "defect_assigned", gettext_lazy("%(key)s “%(title)s” (%(severity)s) was assigned to you."),
    labels={"severity": Severity})
REOPENED_MESSAGE = message_template("defect_reopened", gettext_lazy("%(key)s “%(title)s” was reopened: %(comment)s"))
ACCEPTANCE_MESSAGE = message_template(
    "finding_acceptance_requested",
    gettext_lazy("%(who)s asks to accept the risk of %(key)s “%(title)s” until %(until)s."))


def _deadline(defect):
    return defect.triage_due_at if defect.status == Status.NEW else defect.fix_due_at


def _managers(project_ids):
    managers = defaultdict(list)
    for m in Membership.objects.filter(project_id__in=project_ids, role=Role.MANAGER).select_related("user"):
        managers[m.project_id].append(m.user)
    return managers


def _window_q(start, end):
    return (Q(status=Status.NEW, triage_due_at__gte=start, triage_due_at__lt=end)
            | Q(status__in=FIX_PENDING_STATUSES, fix_due_at__gte=start, fix_due_at__lt=end))


def _reminders(defects, kind, message_for):
    managers = _managers({d.project_id for d in defects})
    for defect in defects:
        due = _deadline(defect)
        recipients = {u.pk: u for u in managers.get(defect.project_id, [])}
        if defect.assignee_id and defect.status != Status.NEW:
            recipients[defect.assignee_id] = defect.assignee
        url = reverse("defects:detail", args=[defect.project_id, defect.pk])
        for user in recipients.values():
            yield Reminder(recipient=user, kind=kind, project=defect.project, subject=defect, url=url, due_at=due,
                           message=message_for(defect, due),
                           dedupe_key=f"{kind}:{defect.pk}:{defect.status}:{due:%Y%m%d%H%M}:{user.pk}")


def _message(template):
    def message_for(defect, due):
        return template(key=defect.key, title=defect.title, severity=defect.severity,
                        what="triage" if defect.status == Status.NEW else "fix",
                        due=f"{timezone.localtime(due):%Y-%m-%d %H:%M}")
    return message_for


@reminder_rule(SOON, label=gettext_lazy("Defect SLA about to breach"), default_lead=timedelta(hours=2))
def sla_about_to_breach(*, now):
    candidates = list(Defect.objects.filter(_window_q(now, now + timedelta(days=2)))
                      .select_related("project", "assignee"))
    due_soon = [d for d in candidates if _deadline(d) < now + (lead_time(d.project_id, SOON) or timedelta(hours=2))]

    yield from _reminders(due_soon, SOON, _message(SLA_SOON_MESSAGE))


@reminder_rule(BREACHED, label=gettext_lazy("Defect SLA breached"))
def sla_breached(*, now):
    # Only deadlines passed in the last 7 days: older breaches were reminded when they happened.
    breached = list(Defect.objects.filter(_window_q(now - timedelta(days=7), now))
                    .select_related("project", "assignee"))

    yield from _reminders(breached, BREACHED, _message(SLA_BREACHED_MESSAGE))


# Kinds sent at once by notify() (named here so the inbox, preferences and e-mails show a label).
from notifications.registry import event_kind  # noqa: E402

event_kind("defect_assigned", label=gettext_lazy("Defect assigned to you"))
event_kind("defect_reopened", label=gettext_lazy("Defect reopened"))
event_kind("finding_acceptance_requested", label=gettext_lazy("Security risk acceptance to approve"))
