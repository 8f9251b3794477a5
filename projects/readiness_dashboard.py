"""What the project manager's dashboard (project home) and the readiness page show.

Every number from another app comes through the readiness registry or the dashboard registry
(projects.dashboard); this module never imports another app. A fixed number of queries: each
criterion and provider is constant, and the snapshots are read in one query.
"""

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import readiness
from .charts import line_chart
from .dashboard import AREA_ORDER, Gauge, Overdue, OverdueList, collect_gauges, collect_overdue, gauges, overdue
from .models import GoNoGoDecision, LessonAction, LessonActionStatus, Milestone, ReadinessSnapshot

TREND_DAYS = 30

AREA_LABELS = {
    "requirements": _("Requirements"),
    "testing": _("Testing"),
    "training": _("Training"),
    "cutover": _("Cutover"),
    "team": _("Team"),
    "hypercare": _("Hypercare"),
    "schedule": _("Schedule"),
}


def area_label(area):
    return AREA_LABELS.get(area) or str(area).replace("_", " ").title()


def _is_percent(e):
    return e.result.total is None and str(e.result.display or "").strip().endswith("%")


def progress_of(e):
    """(value, total) when a criterion's value is a share that a bar can show, else None."""
    if e.result.total:
        return e.result.value, e.result.total
    if _is_percent(e):
        return e.result.value, 100
    return None


def areas(result, gauges_by_area):
    """[{key, label, criteria:[{e, progress}], gauges, passed, total}] in the usual order of a launch."""
    grouped = {}
    for e in result["criteria"]:
        grouped.setdefault(e.area, []).append(e)
    keys = [a for a in AREA_ORDER if a in grouped or a in gauges_by_area]
    keys += sorted(a for a in set(grouped) | set(gauges_by_area) if a not in AREA_ORDER)
    rows = []
    for key in keys:
        criteria = grouped.get(key, [])
        rows.append({
            "key": key, "label": area_label(key), "gauges": gauges_by_area.get(key, []),
            "criteria": [{"e": e, "progress": progress_of(e)} for e in criteria],
            "passed": sum(1 for e in criteria if e.passed), "total": len(criteria),
        })
    return rows


def trends(*, project, result, today, days=TREND_DAYS):
    """The score and every criterion over the last `days` days: stored snapshots plus today's live value."""
    snapshots = list(ReadinessSnapshot.objects.filter(project=project, date__gte=today - timedelta(days=days),
                                                      date__lt=today).order_by("date"))
    dates = [s.date for s in snapshots] + [today]
    by_day = [{c["key"]: c for c in s.criteria} for s in snapshots]
    score_points = [(s.date, s.score) for s in snapshots] + [(today, result["score"])]
    ready_marks = ["good" if s.ready else "bad" for s in snapshots] + ["good" if result["ready"] else "bad"]
    charts = []
    for e in result["criteria"]:
        values = [day.get(e.key, {}).get("value") for day in by_day] + [e.result.value]
        marks = [("good" if day[e.key]["passed"] else "bad") if e.key in day else "" for day in by_day]
        marks.append("good" if e.passed else "bad")
        charts.append({
            "e": e, "area": area_label(e.area),
            "svg": line_chart(list(zip(dates, values, strict=True)), target=e.target, percent=_is_percent(e),
                              title=str(e.label), marks=marks, width=300, height=80),
            "days": sum(1 for v in values if v is not None),
        })
    return {
        "score_svg": line_chart(score_points, target=None, percent=True, title=str(_("Readiness score")),
                                marks=ready_marks, width=640, height=130, css="wide"),
        "criteria": charts, "days": len(snapshots),
    }


def _with_lateness(groups, today):
    for group in groups:
        group["items"] = [{"item": i, "late": max(0, (today - i.due).days) if i.due else None} for i in group["items"]]
    return groups


def dashboard(*, project, user, today=None):
    today = today or timezone.localdate()
    result = readiness.evaluate(project)
    mandatory_blockers = [e for e in result["blockers"] if e.mandatory]
    latest = (GoNoGoDecision.objects.filter(project=project).select_related("decided_by")
              .order_by("-meeting_at", "-id").first())
    return {
        "result": result,
        "mandatory_blockers": mandatory_blockers,
        "other_blockers": [e for e in result["blockers"] if not e.mandatory],
        "areas": areas(result, collect_gauges(project)),
        "trends": trends(project=project, result=result, today=today),
        "overdue": _with_lateness(collect_overdue(project, today), today),
        "latest_decision": latest,
        "today": today,
    }


# ----- the projects app's own dashboard providers -------------------------------------------------


@gauges(key="milestones", label=_("Milestones"), area="schedule", order=5)
def milestone_gauges(project):
    counts = Milestone.objects.filter(project=project).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(actual_date__isnull=False)))
    if not counts["total"]:
        return []
    url = reverse("projects:home", args=[project.pk]) + "#milestones"
    return [Gauge(label=_("Milestones reached"), value=counts["done"], total=counts["total"], url=url, tone="info")]


@overdue(key="milestones", label=_("Milestones"), order=10)
def milestones_overdue(project, today):
    qs = Milestone.objects.filter(project=project, actual_date__isnull=True, planned_date__lt=today)
    items = [Overdue(title=m.name, due=m.planned_date, owner=m.owner, what=_("Milestone"),
                     url=reverse("projects:milestone", args=[project.pk, m.pk]))
             for m in qs.select_related("owner").order_by("planned_date", "id")[:8]]
    return OverdueList(items=items, total=qs.count())  # always two queries, whatever the size


@overdue(key="lesson_actions", label=_("Retrospective actions"), order=90)
def lesson_actions_overdue(project, today):
    qs = LessonAction.objects.filter(project=project, status=LessonActionStatus.OPEN, due_date__lt=today)
    url = reverse("projects:lessons", args=[project.pk])
    items = [Overdue(title=a.title, due=a.due_date, owner=a.owner, what=_("Action"), url=url)
             for a in qs.select_related("owner").order_by("due_date", "id")[:8]]
    return OverdueList(items=items, total=qs.count())  # always two queries, whatever the size
