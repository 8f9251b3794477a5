"""iCalendar (.ics) rendering of sessions: one session, or a person's feed."""

from datetime import UTC

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from projects.people import display_name

from .models import EnrolmentStatus, Mode


def _calendar(name):
    cal = Calendar()
    cal.add("prodid", "-//Liftoff//Training//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def _event(session, request=None, status=None):
    event = Event()
    host = request.get_host().split(":")[0] if request is not None else "liftoff.local"
    event.add("uid", f"training-session-{session.pk}@{host}")
    event.add("summary", f"{session.course.title}")
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("dtstamp", timezone.now().astimezone(UTC))
    location = session.location or ""
    if location:
        event.add("location", location)
    if session.mode == Mode.ONLINE and location.startswith(("http://", "https://")):
        event.add("url", location)
    trainer = display_name(session.trainer)
    lines = [f"{session.project.code} · {session.get_mode_display()}", f"Trainer: {trainer}"]
    if request is not None:
        lines.append(request.build_absolute_uri(reverse("training:session", args=[session.project_id, session.pk])))
    event.add("description", "\n".join(lines))
    event.add("status", "TENTATIVE" if status == EnrolmentStatus.WAITLISTED else "CONFIRMED")
    return event


def session_ics(session, request=None) -> bytes:
    cal = _calendar(session.course.title)
    cal.add_component(_event(session, request))
    return cal.to_ical()


def feed_ics(sessions, *, name, request=None) -> bytes:
    cal = _calendar(name)
    for session in sessions:
        cal.add_component(_event(session, request, status=getattr(session, "my_status", None)))
    return cal.to_ical()
