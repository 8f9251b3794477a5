"""The go/no-go meetings' calendar feed (projects.hooks): one hour each, from the meeting time."""

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import hooks

MEETING_LENGTH = timedelta(hours=1)


@hooks.calendar_feed(key="gonogo", label=gettext_lazy("Go/no-go meetings"), order=40)
def gonogo_events(project, user):
    events = []
    for decision in project.gonogo_decisions.order_by("meeting_at", "id"):
        summary = f"{project.code} · {decision.title}"
        if decision.final_verdict:
            summary += f" ({decision.get_final_verdict_display()})"
        events.append(hooks.CalendarEvent(
            uid=f"gonogo-{decision.pk}", summary=summary, start=decision.meeting_at,
            end=decision.meeting_at + MEETING_LENGTH, url=reverse("readiness:gonogo", args=[project.pk, decision.pk]),
            description=_("Go/no-go meeting (上线决策): sign-offs of %(roles)s") % {
                "roles": ", ".join(decision.required_roles) or "—"}))
    return events
