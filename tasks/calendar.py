"""The cutover's calendar feed (projects.hooks): the project's cutover window and every run."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import hooks

from .models import RunKind, RunStatus


@hooks.calendar_feed(key="cutover", label=gettext_lazy("Cutover window and runs"), order=30)
def cutover_events(project, user):
    events = [hooks.CalendarEvent(
        uid=f"cutover-window-{project.pk}", summary=_("%(code)s cutover window") % {"code": project.code},
        start=project.window_start, end=project.window_end, url=reverse("tasks:runbooks", args=[project.pk]),
        description=_("Go-live at %(when)s") % {"when": project.go_live_at.isoformat(" ", "minutes")})]
    for run in project.runs.select_related("runbook").order_by("planned_start", "id"):
        start = run.started_at or run.planned_start
        end = run.finished_at or run.window_end
        label = run.label
        summary = f"{project.code} · {label} · {run.runbook.name}"
        events.append(hooks.CalendarEvent(
            uid=f"cutover-run-{run.pk}", summary=summary, start=start, end=max(end, start),
            url=reverse("tasks:run", args=[project.pk, run.pk]), description=run.get_status_display(),
            status="TENTATIVE" if run.status == RunStatus.PLANNED and run.kind == RunKind.REHEARSAL else "CONFIRMED"))
    return events
