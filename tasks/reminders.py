"""Reminder rules of the cutover area: preparation work items and environment checks due soon and overdue."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, reminder_rule

from .models import EnvCheck, EnvCheckStatus, WorkItem, WorkItemStatus
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


def _open_checks():
    return (EnvCheck.objects.exclude(status=EnvCheckStatus.READY)
            .filter(owner__isnull=False, due_at__isnull=False).select_related("owner", "project"))


def _check_url(item):
    return reverse("tasks:env_checks", args=[item.project_id]) + f"#env-{item.pk}"


@reminder_rule("envcheck_due", label=gettext_lazy("Environment check due soon"), default_lead=timedelta(hours=24))
def env_checks_due(*, now):
    """Environment checks due within the lead time (24 h by default) that are not ready yet."""
    horizon = now + timedelta(days=7)  # widest lead anyone sets; each item is checked against its project's lead
    for item in _open_checks().filter(due_at__gt=now, due_at__lte=horizon):
        lead = lead_time(item.project_id, "envcheck_due") or timedelta(hours=24)
        if item.due_at - now > lead:
            continue
        yield Reminder(
            recipient=item.owner, kind="envcheck_due", project=item.project, subject=item, due_at=item.due_at,
            message=lazy_format(gettext_lazy("Environment check “%(title)s” is due %(when)s."), title=str(item),
                                when=_when(item.due_at)),
            url=_check_url(item), dedupe_key=f"envcheck_due:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )


@reminder_rule("envcheck_overdue", label=gettext_lazy("Environment check overdue"))
def env_checks_overdue(*, now):
    """Checks past their due time and not ready: one reminder per item and due time."""
    for item in _open_checks().filter(due_at__lte=now):
        yield Reminder(
            recipient=item.owner, kind="envcheck_overdue", project=item.project, subject=item, due_at=item.due_at,
            message=lazy_format(gettext_lazy("Environment check “%(title)s” is overdue (was due %(when)s)."),
                                title=str(item), when=_when(item.due_at)),
            url=_check_url(item), dedupe_key=f"envcheck_overdue:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )
