"""Reminder rules of the cutover area: preparation work items due soon and overdue."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, reminder_rule

from .models import WorkItem, WorkItemStatus
from .text import lazy_format

# Sent at once by the services (not by the sweep): named here so the inbox and preferences show them.
event_kind("runstep_ready", label=gettext_lazy("Cutover step ready for you"))
event_kind("runstep_failed", label=gettext_lazy("Cutover step failed"))
event_kind("cutover_issue", label=gettext_lazy("Cutover issue"))
event_kind("cutover_issue_assigned", label=gettext_lazy("Cutover issue assigned to you"))
event_kind("cutover_update", label=gettext_lazy("Cutover status update"))


def _when(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def _open_items():
    return (WorkItem.objects.exclude(status=WorkItemStatus.DONE)
            .filter(owner__isnull=False, due_at__isnull=False).select_related("owner", "project"))


@reminder_rule("workitem_due", label=gettext_lazy("Work item due soon"), default_lead=timedelta(hours=24))
def work_items_due(*, now):
    """Items due within the lead time (24 h by default) that are not done yet."""
    horizon = now + timedelta(days=7)  # widest lead anyone sets; each item is checked against its project's lead
    for item in _open_items().filter(due_at__gt=now, due_at__lte=horizon):
        lead = lead_time(item.project_id, "workitem_due") or timedelta(hours=24)
        if item.due_at - now > lead:
            continue
        yield Reminder(
            recipient=item.owner, kind="workitem_due", project=item.project, subject=item, due_at=item.due_at,
            message=lazy_format(gettext_lazy("Work item “%(title)s” is due %(when)s."), title=item.title,
                                when=_when(item.due_at)),
            url=reverse("tasks:workitems", args=[item.project_id]),
            dedupe_key=f"workitem_due:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )


@reminder_rule("workitem_overdue", label=gettext_lazy("Work item overdue"))
def work_items_overdue(*, now):
    """Items past their due time and not done: one reminder per item and due time."""
    for item in _open_items().filter(due_at__lte=now):
        yield Reminder(
            recipient=item.owner, kind="workitem_overdue", project=item.project, subject=item, due_at=item.due_at,
            message=lazy_format(gettext_lazy("Work item “%(title)s” is overdue (was due %(when)s)."),
                                title=item.title, when=_when(item.due_at)),
            url=reverse("tasks:workitems", args=[item.project_id]),
            dedupe_key=f"workitem_overdue:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )
