"""Reminder: a requirement waiting for review too long goes to its department's business reviewers."""

from collections import defaultdict
from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, message_template, reminder_rule
from projects.models import Membership, Role

from .models import Requirement, RequirementStatus

KIND = "requirement_review_waiting"


# Stored as key + parameters, so each reviewer reads it in their own language.
WAITING_MESSAGE = message_template(
    KIND, gettext_lazy("%(code)s “%(title)s” has been waiting for review for %(days)d days."))


@reminder_rule(KIND, label=gettext_lazy("Requirement waiting for review"), default_lead=timedelta(days=2))
def requirements_waiting_for_review(*, now):
    """Submitted more than the lead time (2 days by default) ago → the reviewers of its department
    (every business member of the project when it has no department or nobody but the author reviews there).
    The author is never asked: they cannot approve their own requirement."""
    waiting = list(
        Requirement.objects.filter(status=RequirementStatus.SUBMITTED, submitted_at__isnull=False,
                                   submitted_at__lte=now)
        .select_related("project", "department")
    )
    if not waiting:
        return
    leads = {}
    due = []
    for r in waiting:
        if r.project_id not in leads:
            leads[r.project_id] = lead_time(r.project_id, KIND) or timedelta(days=2)
        if r.submitted_at <= now - leads[r.project_id]:
            due.append(r)
    if not due:
        return
    reviewers = defaultdict(lambda: defaultdict(dict))  # project → department id (None = any) → user id → user
    for m in Membership.objects.filter(project_id__in={r.project_id for r in due}, role=Role.BUSINESS,
                                       user__is_active=True).select_related("user"):
        reviewers[m.project_id][m.department_id][m.user_id] = m.user
        reviewers[m.project_id][None][m.user_id] = m.user
    for r in due:
        people = reviewers[r.project_id].get(r.department_id, {}) if r.department_id else {}
        people = [u for u in people.values() if u.pk != r.author_id]
        if not people:  # nobody else in the department can decide: ask every business reviewer
            people = [u for u in reviewers[r.project_id][None].values() if u.pk != r.author_id]
        days = (now - r.submitted_at).days
        for user in people:
            yield Reminder(
                recipient=user, kind=KIND, project=r.project, subject=r,
                message=WAITING_MESSAGE(code=r.code, title=r.title, days=days),
                url=reverse("requirements:detail", args=[r.project_id, r.pk]),
                due_at=r.submitted_at + leads[r.project_id],
                dedupe_key=f"{KIND}:{r.pk}:v{r.version}:{r.submitted_at:%Y%m%d%H%M%S}:{user.pk}",
            )


# Withdrawing a submitted requirement (services.requirement_withdraw) tells the reviewers this reminder asked.
WITHDRAWN_KIND = "requirement_withdrawn"
WITHDRAWN = message_template(
    WITHDRAWN_KIND, gettext_lazy("%(who)s withdrew %(code)s “%(title)s” from review; it is a draft again."))
WITHDRAWN_WITH_REASON = message_template(
    f"{WITHDRAWN_KIND}.reason",
    gettext_lazy("%(who)s withdrew %(code)s “%(title)s” from review (“%(reason)s”); it is a draft again."))
event_kind(WITHDRAWN_KIND, label=gettext_lazy("Requirement withdrawn from review"))
