"""Calendar feeds (.ics): the registry's events rendered with `icalendar`, and the feeds of the
projects app itself (on-call shifts, milestones).

Other apps add their feeds through `hooks.calendar_feed` (tasks: the cutover window and runs;
readiness: go/no-go meetings). A feed URL carries the person's `FeedToken` instead of a login,
so every feed shows only what its owner may see at the moment it is read."""

from datetime import UTC, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Calendar, Event

from . import hooks, selectors
from .models import ShiftTier
from .people import display_name


def _calendar(name):
    cal = Calendar()
    cal.add("prodid", "-//Liftoff//Calendars//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def _component(event: hooks.CalendarEvent, host, absolute):
    vevent = Event()
    vevent.add("uid", f"{event.uid}@{host}")
    vevent.add("summary", event.summary)
    if event.all_day:
        vevent.add("dtstart", event.start)
        vevent.add("dtend", event.end)
    else:
        vevent.add("dtstart", event.start.astimezone(UTC))
        vevent.add("dtend", event.end.astimezone(UTC))
    vevent.add("dtstamp", timezone.now().astimezone(UTC))
    description = event.description
    if event.url:
        link = absolute(event.url)
        vevent.add("url", link)
        description = f"{description}\n{link}" if description else link
    if description:
        vevent.add("description", description)
    vevent.add("status", event.status)
    return vevent


def render_ics(events, *, name, request=None) -> bytes:
    host = request.get_host().split(":")[0] if request is not None else "liftoff.local"
    absolute = request.build_absolute_uri if request is not None else (lambda path: path)
    cal = _calendar(name)
    for event in events:
        cal.add_component(_component(event, host, absolute))
    return cal.to_ical()


# --- the feeds of the projects app ---------------------------------------------------------

def _shift_event(shift, *, with_project=False):
    who = display_name(shift.user)
    tier = ShiftTier(shift.tier).label
    summary = _("On call (%(tier)s): %(who)s") % {"tier": tier, "who": who}
    if with_project:
        summary = f"{shift.project.code} · {summary}"
    week = timezone.localtime(shift.starts_at).date()
    week -= timedelta(days=week.weekday())
    return hooks.CalendarEvent(
        uid=f"oncall-shift-{shift.pk}", summary=summary, start=shift.starts_at, end=shift.ends_at,
        description=shift.note, url=f"{reverse('projects:rota', args=[shift.project_id])}?week={week.isoformat()}")


def _horizon():
    return timezone.now() - timedelta(days=30)  # a month back is enough history for a calendar


@hooks.calendar_feed(key="shifts", label=gettext_lazy("On-call rota"), order=10)
def project_shifts(project, user):
    return [_shift_event(s) for s in selectors.shifts(project=project, start=_horizon())]


@hooks.calendar_feed(key="milestones", label=gettext_lazy("Milestones"), order=20)
def project_milestones(project, user):
    events = []
    for m in selectors.milestones(project=project):
        day = m.actual_date or m.forecast_date or m.planned_date
        summary = f"{project.code} · {m.name}"
        if m.actual_date:
            summary += " ✓"
        events.append(hooks.CalendarEvent(
            uid=f"milestone-{m.pk}", summary=summary, start=day, end=day + timedelta(days=1), all_day=True,
            description=_("Planned for %(date)s") % {"date": m.planned_date.isoformat()},
            url=reverse("projects:milestone", args=[project.pk, m.pk])))
    return events


def my_shift_events(user):
    """The person's own shifts in every project they belong to."""
    return [_shift_event(s, with_project=True) for s in selectors.shifts_for_user(user=user, start=_horizon())]
