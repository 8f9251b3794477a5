"""Reminder rules of the cutover area: preparation work items and environment checks due soon and overdue."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, message_template, reminder_rule

from .models import EnvCheck, EnvCheckStatus, IssueSeverity, RunKind, WorkItem, WorkItemStatus

# Sent at once by the services (not by the sweep): named here so the inbox and preferences show them.
event_kind("runstep_ready", label=gettext_lazy("Cutover step ready for you"))
event_kind("runstep_failed", label=gettext_lazy("Cutover step failed"))
event_kind("cutover_issue", label=gettext_lazy("Cutover issue"))
event_kind("cutover_issue_assigned", label=gettext_lazy("Cutover issue assigned to you"))
event_kind("cutover_update", label=gettext_lazy("Cutover status update"))


# What the cutover area tells people: registered sentences, stored as key + parameters and rendered
# for each reader (a run's label, "Rehearsal #2", is itself a template: its kind is translated).
RUN_LABEL = message_template("tasks.run_label", "{kind} #{number}", labels={"kind": RunKind})


def run_label(run):
    return RUN_LABEL(kind=run.kind, number=run.number)


def _step_sentence(title):
    return gettext_lazy("Step: %(step)s.") % {"step": title} if title else ""


STEP_READY = message_template("runstep_ready", gettext_lazy("%(run)s: your step “%(step)s” is ready to start now."))
STEP_FAILED = message_template("runstep_failed", gettext_lazy("%(run)s: step “%(step)s” failed: %(note)s"))
ISSUE_SEV1 = message_template("cutover_issue.sev1", gettext_lazy("Sev 1 in %(run)s: “%(title)s” (#%(n)d). %(where)s"),
                              labels={"where": _step_sentence})
ISSUE_YOURS = message_template(
    "cutover_issue_assigned", gettext_lazy("%(run)s: issue #%(n)d “%(title)s” (%(sev)s) is yours to resolve."),
    labels={"sev": IssueSeverity})
ISSUE_NEW = message_template(
    "cutover_issue", gettext_lazy("%(run)s: new issue #%(n)d (%(sev)s) “%(title)s”, reported by %(who)s.%(step)s"),
    labels={"sev": IssueSeverity, "step": lambda title: " " + _step_sentence(title) if title else ""})
ISSUE_RESOLVED = message_template(
    "cutover_issue.resolved",
    gettext_lazy("%(run)s: issue #%(n)d “%(title)s” resolved by %(who)s after %(min)s min: %(c)s"))
ISSUE_REOPENED = message_template(
    "cutover_issue.reopened", gettext_lazy("%(run)s: issue #%(n)d “%(title)s” reopened by %(who)s: %(c)s"))
RUN_UPDATE = message_template("cutover_update", gettext_lazy("%(run)s · %(who)s: %(text)s"))
WORKITEM_DUE = message_template("workitem_due", gettext_lazy("Work item “%(title)s” is due %(when)s."))
WORKITEM_OVERDUE = message_template("workitem_overdue",
                                    gettext_lazy("Work item “%(title)s” is overdue (was due %(when)s)."))
ENVCHECK_DUE = message_template("envcheck_due", gettext_lazy("Environment check “%(title)s” is due %(when)s."))
ENVCHECK_OVERDUE = message_template(
    "envcheck_overdue", gettext_lazy("Environment check “%(title)s” is overdue (was due %(when)s)."))


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
            message=WORKITEM_DUE(title=item.title, when=_when(item.due_at)),
            url=reverse("tasks:workitems", args=[item.project_id]),
            dedupe_key=f"workitem_due:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )


@reminder_rule("workitem_overdue", label=gettext_lazy("Work item overdue"))
def work_items_overdue(*, now):
    """Items past their due time and not done: one reminder per item and due time."""
    for item in _open_items().filter(due_at__lte=now):
        yield Reminder(
            recipient=item.owner, kind="workitem_overdue", project=item.project, subject=item, due_at=item.due_at,
            message=WORKITEM_OVERDUE(title=item.title, when=_when(item.due_at)),
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
            message=ENVCHECK_DUE(title=str(item), when=_when(item.due_at)),
            url=_check_url(item), dedupe_key=f"envcheck_due:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )


@reminder_rule("envcheck_overdue", label=gettext_lazy("Environment check overdue"))
def env_checks_overdue(*, now):
    """Checks past their due time and not ready: one reminder per item and due time."""
    for item in _open_checks().filter(due_at__lte=now):
        yield Reminder(
            recipient=item.owner, kind="envcheck_overdue", project=item.project, subject=item, due_at=item.due_at,
            message=ENVCHECK_OVERDUE(title=str(item), when=_when(item.due_at)),
            url=_check_url(item), dedupe_key=f"envcheck_overdue:{item.pk}:{item.due_at:%Y%m%d%H%M}",
        )
