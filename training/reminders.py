"""Reminder rules of the training app (collected by the notifications sweep)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, reminder_rule

from .models import EnrolmentStatus, Session

# Sent at once by the services (not by the sweep): named here so the inbox and preferences show them.
event_kind("training_promoted", label=gettext_lazy("Moved up from the waiting list"))
event_kind("training_required", label=gettext_lazy("Training still required"))

KIND = "training_session_soon"
DEFAULT_LEAD = timedelta(hours=24)
# Sessions further out than this are never looked at, whatever a project's lead time.
HORIZON = timedelta(days=14)


@reminder_rule(KIND, label=gettext_lazy("Training session coming up"), default_lead=DEFAULT_LEAD)
def sessions_soon(*, now):
    """A session starts within the lead time (24 h by default): remind everyone with a seat, and the trainer."""
    upcoming = Session.objects.filter(starts_at__gt=now, starts_at__lte=now + HORIZON)
    project_ids = set(upcoming.values_list("project_id", flat=True))
    due_ids = []
    for project_id in project_ids:
        lead = min(lead_time(project_id, KIND) or DEFAULT_LEAD, HORIZON)
        due_ids += list(upcoming.filter(project_id=project_id, starts_at__lte=now + lead).values_list("pk", flat=True))
    if not due_ids:
        return
    sessions = (Session.objects.filter(pk__in=due_ids).select_related("course", "trainer", "project")
                .prefetch_related("enrolments__user"))
    for session in sessions:
        when = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
        url = reverse("training:session", args=[session.project_id, session.pk])
        stamp = f"{session.starts_at:%Y%m%d%H%M}"
        where = session.location or session.get_mode_display()
        for enrolment in session.enrolments.all():
            if enrolment.status != EnrolmentStatus.ENROLLED:
                continue
            yield Reminder(
                recipient=enrolment.user, kind=KIND, project=session.project, subject=session, url=url,
                due_at=session.starts_at,
                message=_("Your training “%(course)s” starts at %(when)s (%(where)s).")
                % {"course": session.course.title, "when": when, "where": where},
                dedupe_key=f"{KIND}:{session.pk}:{enrolment.user_id}:{stamp}",
            )
        seats = sum(1 for e in session.enrolments.all() if e.status == EnrolmentStatus.ENROLLED)
        yield Reminder(
            recipient=session.trainer, kind=KIND, project=session.project, subject=session, url=url,
            due_at=session.starts_at,
            message=_("You run “%(course)s” at %(when)s (%(where)s): %(n)d of %(cap)d seats taken.")
            % {"course": session.course.title, "when": when, "where": where, "n": seats, "cap": session.capacity},
            dedupe_key=f"{KIND}:{session.pk}:trainer:{session.trainer_id}:{stamp}",
        )
