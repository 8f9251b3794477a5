"""Reminder rules of the training app (collected by the notifications sweep)."""

from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from notifications.registry import Reminder, event_kind, lead_time, message_template, reminder_rule

from .models import EnrolmentStatus, Mode, Session

# Sent at once by the services (not by the sweep): named here so the inbox and preferences show them.
event_kind("training_promoted", label=gettext_lazy("Moved up from the waiting list"))
event_kind("training_required", label=gettext_lazy("Training still required"))

# What training tells people: stored as key + parameters, rendered in each reader's language.
PROMOTED_MESSAGE = message_template(
    "training_promoted", gettext_lazy("A seat opened in “%(course)s” on %(start)s: you are now enrolled."))
REQUIRED_MESSAGE = message_template(
    "training_required", gettext_lazy("Before go-live you still must complete: %(courses)s. Sign up for a session in "
                                      "the training catalogue."))
SESSION_SOON_MESSAGE = message_template(
    "training_session_soon", gettext_lazy("Your training “%(course)s” starts at %(when)s (%(where)s)."),
    labels={"where": lambda where: _MODES.get(where, where)})
TRAINER_SOON_MESSAGE = message_template(
    "training_session_soon.trainer",
    gettext_lazy("You run “%(course)s” at %(when)s (%(where)s): %(n)d of %(cap)d seats taken."),
    labels={"where": lambda where: _MODES.get(where, where)})
ONLINE_MESSAGE = message_template(
    "training_online_not_started",
    gettext_lazy("Go-live is on %(when)s and you have not started the online training of: %(courses)s. It can be "
                 "done on your phone."))

KIND = "training_session_soon"
DEFAULT_LEAD = timedelta(hours=24)
_MODES = dict(Mode.choices)
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
        where = session.location or session.mode  # no room: the mode, translated for each reader
        for enrolment in session.enrolments.all():
            if enrolment.status != EnrolmentStatus.ENROLLED:
                continue
            yield Reminder(
                recipient=enrolment.user, kind=KIND, project=session.project, subject=session, url=url,
                due_at=session.starts_at,
                message=SESSION_SOON_MESSAGE(course=session.course.title, when=when, where=where),
                dedupe_key=f"{KIND}:{session.pk}:{enrolment.user_id}:{stamp}",
            )
        seats = sum(1 for e in session.enrolments.all() if e.status == EnrolmentStatus.ENROLLED)
        yield Reminder(
            recipient=session.trainer, kind=KIND, project=session.project, subject=session, url=url,
            due_at=session.starts_at,
            message=TRAINER_SOON_MESSAGE(course=session.course.title, when=when, where=where, n=seats,
                                         cap=session.capacity),
            dedupe_key=f"{KIND}:{session.pk}:trainer:{session.trainer_id}:{stamp}",
        )


ONLINE_KIND = "training_online_not_started"
ONLINE_LEAD = timedelta(days=7)


@reminder_rule(ONLINE_KIND, label=gettext_lazy("Online training not started"), default_lead=ONLINE_LEAD)
def online_not_started(*, now):
    """A week (the lead time) before go-live: every learner with a required course that can be completed
    online, not completed yet, and an online module of it never opened. Once per person and go-live date."""
    from projects.models import Project

    from .models import Completion, Module, ModuleProgress
    from .selectors import coverage_report, with_people

    projects = Project.objects.filter(go_live_at__gt=now, go_live_at__lte=now + timedelta(days=60))
    for project in projects:
        lead = lead_time(project.pk, ONLINE_KIND) or ONLINE_LEAD
        if project.go_live_at > now + lead:
            continue
        online_courses = set(Module.objects.filter(course__project=project).exclude(
            course__completion=Completion.OFFLINE).values_list("course_id", flat=True))
        if not online_courses:
            continue
        modules = dict(Module.objects.filter(course_id__in=online_courses).values("course_id").annotate(
            n=Count("id")).values_list("course_id", "n"))
        opened = {}
        for user_id, course_id, n in (ModuleProgress.objects.filter(module__course_id__in=online_courses)
                                      .values("user_id", "module__course_id").annotate(n=Count("id"))
                                      .values_list("user_id", "module__course_id", "n")):
            opened[(user_id, course_id)] = n
        waiting = []
        for person in coverage_report(project=project)["untrained"]:
            courses = [c for c in person["missing"] if c.pk in online_courses
                       and opened.get((person["user_id"], c.pk), 0) < modules[c.pk]]
            if courses:
                waiting.append({**person, "courses": courses})
        url = reverse("training:mine", args=[project.pk])
        when = timezone.localtime(project.go_live_at).strftime("%Y-%m-%d")
        for person in with_people(waiting):
            yield Reminder(
                recipient=person["user"], kind=ONLINE_KIND, project=project, url=url, due_at=project.go_live_at,
                message=ONLINE_MESSAGE(when=when, courses=", ".join(c.title for c in person["courses"])),
                dedupe_key=f"{ONLINE_KIND}:{project.pk}:{person['user_id']}:{project.go_live_at:%Y%m%d}",
            )
