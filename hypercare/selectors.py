"""Reads of hypercare: the period, the dashboard figures, the daily report, staff feedback and
the retrospective (lessons learned and their actions).

Incidents are defects found in hypercare (`found_in = hypercare`), read through the defects
app's selectors. Every figure is computed from a constant number of queries (one for incidents,
one for feedback, one for the rota), whatever the number of rows.
"""

import statistics
from collections import Counter
from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from defects.models import OPEN_STATUSES, Severity
from defects.selectors import defects_visible_to, hypercare_incidents
from projects import selectors as project_selectors
from projects.models import Membership, Role

from .models import (
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    Feedback,
    FeedbackCategory,
    FeedbackStatus,
    Lesson,
    LessonAction,
    LessonActionStatus,
    LessonKind,
    LessonVote,
)

PRE_GO_LIVE_DAYS = 14  # before go-live the dashboard shows the last two weeks (pilot, rehearsals)
MAX_TREND_DAYS = 42


def period(project):
    """(first day, last day) of hypercare, local dates."""
    return timezone.localdate(project.go_live_at), timezone.localdate(project.hypercare_end)


def in_period(project, day):
    start, end = period(project)
    return start <= day <= end


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def trend_window(project, today):
    """The days the trend charts show, and whether hypercare has started."""
    start, end = period(project)
    if today < start:
        first, last, phase = today - timedelta(days=PRE_GO_LIVE_DAYS - 1), today, "before"
    else:
        last = min(today, end)
        first, phase = max(start, last - timedelta(days=MAX_TREND_DAYS - 1)), ("during" if today <= end else "after")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)], phase


def _incidents(qs):
    return list(qs.values(
        "id", "number", "title", "severity", "status", "created_at", "resolved_at", "incident_started_at",
        "closed_at", "customers_affected", "branches_affected", "assignee__username", "assignee__first_name",
        "assignee__last_name"))


def _local(dt):
    return timezone.localdate(dt) if dt else None


def resolve_hours(incidents):
    """Per severity: count resolved, median and average hours from start (or report) to resolution."""
    by_severity = {s: [] for s in Severity.values}
    for i in incidents:
        if i["resolved_at"]:
            began = i["incident_started_at"] or i["created_at"]
            by_severity[i["severity"]].append(max((i["resolved_at"] - began).total_seconds() / 3600, 0))
    rows = []
    for severity in Severity:
        hours = by_severity[severity.value]
        rows.append({"severity": severity, "resolved": len(hours),
                     "median": round(statistics.median(hours), 1) if hours else None,
                     "average": round(sum(hours) / len(hours), 1) if hours else None})
    return rows


def on_duty(project, day):
    """{day: [people on duty that day]} for `day` and the day after, from the on-call rota (one query)."""
    start, end = _day_start(day), _day_start(day + timedelta(days=2))
    shifts = list(project_selectors.shifts(project=project, start=start, end=end))
    result = {}
    for d in (day, day + timedelta(days=1)):
        ds, de = _day_start(d), _day_start(d + timedelta(days=1))
        people = []
        for s in shifts:
            if s.starts_at < de and s.ends_at > ds and s.user not in people:
                people.append(s.user)
        result[d] = {"people": people, "shifts": [s for s in shifts if s.starts_at < de and s.ends_at > ds]}
    return result


def feedback_visible_to(user, project=None):
    """Managers see all feedback of their projects; everybody else only their own."""
    if not user.is_authenticated:
        return Feedback.objects.none()
    member = Membership.objects.filter(user=user).values("project_id")
    managed = Membership.objects.filter(user=user, role=Role.MANAGER).values("project_id")
    qs = Feedback.objects.filter(project__in=member)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.filter(Q(project__in=managed) | Q(submitter=user))


def dashboard(*, user, project, today=None):
    today = today or timezone.localdate()
    incidents = _incidents(hypercare_incidents(defects_visible_to(user, project)))
    days, phase = trend_window(project, today)
    new, resolved = Counter(), Counter()
    for i in incidents:
        new[_local(i["created_at"])] += 1
        if i["resolved_at"]:
            resolved[_local(i["resolved_at"])] += 1
    trend = [{"day": d, "new": new[d], "resolved": resolved[d]} for d in days]
    # An incident is over when the service is restored (resolved_at), even before the fix is re-tested.
    open_incidents = [i for i in incidents if i["status"] in OPEN_STATUSES and not i["resolved_at"]]
    open_counts = Counter(i["severity"] for i in open_incidents)
    feedback = list(feedback_visible_to(user, project).values("category", "status", "created_at"))
    fb_days = {d: Counter() for d in days}
    for f in feedback:
        d = _local(f["created_at"])
        if d in fb_days:
            fb_days[d][f["category"]] += 1
    duty = on_duty(project, today)
    start, end = period(project)
    return {
        "start": start, "end": end, "phase": phase, "today": today, "days": days,
        "incident_total": len(incidents), "open_total": len(open_incidents),
        "open_by_severity": [{"severity": s, "count": open_counts[s.value]} for s in Severity],
        "resolve_hours": resolve_hours(incidents),
        "trend": trend, "trend_new": sum(t["new"] for t in trend), "trend_resolved": sum(t["resolved"] for t in trend),
        "customers_affected": sum(i["customers_affected"] or 0 for i in open_incidents),
        "branches_affected": sum(i["branches_affected"] or 0 for i in open_incidents),
        "feedback_total": len(feedback),
        "feedback_new": sum(1 for f in feedback if f["status"] == FeedbackStatus.NEW),
        "feedback_by_category": [{"category": c, "count": sum(1 for f in feedback if f["category"] == c.value)}
                                 for c in FeedbackCategory],
        "feedback_trend": [{"day": d, **{c.value: fb_days[d][c.value] for c in FeedbackCategory}} for d in days],
        "on_duty_today": duty[today], "on_duty_tomorrow": duty[today + timedelta(days=1)],
        "complaints": complaint_figures(project=project, days=days),
    }


def report_window(day):
    """The report of `day` covers the 24 hours before that morning: [day-1 00:00, day 00:00)."""
    return _day_start(day - timedelta(days=1)), _day_start(day)


def report(*, user, project, day):
    """The daily report as `user` may see it: incidents and feedback of the 24 h before `day`."""
    since, until = report_window(day)
    qs = hypercare_incidents(defects_visible_to(user, project)).select_related("assignee")
    incidents = list(qs.filter(created_at__lt=until).order_by("created_at", "id"))
    new = [i for i in incidents if since <= i.created_at < until]
    resolved = [i for i in incidents if i.resolved_at and since <= i.resolved_at < until]
    open_ = [i for i in incidents if _open_at(i.status, i.resolved_at, i.closed_at, until)]
    rank = {s: n for n, s in enumerate(Severity.values)}
    open_.sort(key=lambda i: (rank[i.severity], i.created_at))
    feedback = list(feedback_visible_to(user, project).filter(created_at__gte=since, created_at__lt=until)
                    .select_related("submitter").order_by("created_at", "id"))
    duty = on_duty(project, day)
    return {
        "day": day, "since": since, "until": until, "in_period": in_period(project, day),
        "new": new, "resolved": resolved, "open": open_, "feedback": feedback,
        "open_by_severity": [{"severity": s, "count": sum(1 for i in open_ if i.severity == s.value)}
                             for s in Severity],
        "feedback_by_category": [{"category": c, "count": sum(1 for f in feedback if f.category == c.value)}
                                 for c in FeedbackCategory],
        "on_duty_today": duty[day], "on_duty_tomorrow": duty[day + timedelta(days=1)],
        "complaints": complaints_in_window(project=project, since=since, until=until),
    }


def _open_at(status, resolved_at, closed_at, until):
    """Was the incident still open at `until`? (Resolved or closed before it: no; still open now: yes.)"""
    if resolved_at and resolved_at < until:
        return False
    if closed_at and closed_at < until:
        return False
    return status in OPEN_STATUSES or (resolved_at and resolved_at >= until) or (closed_at and closed_at >= until)


def report_summary(*, project, day):
    """Counts for the notification (project-wide figures, no titles: security incidents count as numbers)."""
    since, until = report_window(day)
    rows = list(hypercare_incidents(project=project).filter(created_at__lt=until)
                .values("severity", "status", "created_at", "resolved_at", "closed_at"))
    open_ = [r for r in rows if _open_at(r["status"], r["resolved_at"], r["closed_at"], until)]
    duty = on_duty(project, day)
    return {
        "day": day,
        "new_count": sum(1 for r in rows if since <= r["created_at"] < until),
        "resolved_count": sum(1 for r in rows if r["resolved_at"] and since <= r["resolved_at"] < until),
        "open_count": len(open_), "open_critical": sum(1 for r in open_ if r["severity"] == Severity.CRITICAL),
        "feedback_count": Feedback.objects.filter(project=project, created_at__gte=since, created_at__lt=until).count(),
        "complaint_count": Complaint.objects.filter(project=project, received_at__gte=since,
                                                    received_at__lt=until).count(),
        "complaint_unresolved": Complaint.objects.filter(project=project, received_at__lt=until).filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=until)).count(),
        "on_duty_today": duty[day]["people"], "on_duty_tomorrow": duty[day + timedelta(days=1)]["people"],
    }


def feedback_list_for_user(*, user, project=None, filters=None):
    """Feedback for list pages and the API: managers all of their projects', others their own."""
    f = filters or {}
    qs = feedback_visible_to(user, project).select_related("submitter", "project", "defect", "triaged_by",
                                                           "answered_by")
    for field in ("status", "category", "outcome"):
        if f.get(field):
            qs = qs.filter(**{field: f[field]})
    if f.get("mine"):
        qs = qs.filter(submitter=user)
    return qs.order_by("-created_at", "-id")


def feedback_get_for_user(*, user, pk, project=None):
    """The feedback if the user may see it (their own, or any as manager); otherwise 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    feedback = feedback_list_for_user(user=user, project=project).filter(pk=pk).first()
    if feedback is None:
        raise Http404
    return feedback


# ----- lessons learned ---------------------------------------------------------------------------


def lessons_for(*, project, user):
    """The project's retrospective items with their vote count and whether `user` voted: one query."""
    return (Lesson.objects.filter(project=project).select_related("author")
            .annotate(vote_count=Count("votes", distinct=True),
                      voted=Exists(LessonVote.objects.filter(lesson=OuterRef("pk"), user_id=user.pk)))
            .order_by("-vote_count", "-created_at", "-id"))


def lesson_list_for_user(*, user):
    """Every lesson in the user's projects (API), annotated like lessons_for."""
    if not user.is_authenticated:  # also the schema generator's anonymous request
        return Lesson.objects.none()
    return (Lesson.objects.filter(project__in=Membership.objects.filter(user=user).values("project_id"))
            .select_related("author")
            .annotate(vote_count=Count("votes", distinct=True),
                      voted=Exists(LessonVote.objects.filter(lesson=OuterRef("pk"), user_id=user.pk)))
            .order_by("project_id", "-vote_count", "-created_at", "-id"))


def actions_for(*, project):
    return (LessonAction.objects.filter(project=project).select_related("owner", "lesson")
            .order_by("-status", "due_date", "id"))  # open before done


def action_list_for_user(*, user):
    if not user.is_authenticated:
        return LessonAction.objects.none()
    return (LessonAction.objects.filter(project__in=Membership.objects.filter(user=user).values("project_id"))
            .select_related("owner", "lesson").order_by("project_id", "-status", "due_date", "id"))


def retrospective(*, project, user):
    """What the retrospective page and its report show, in a fixed number of queries."""
    today = timezone.localdate()
    items = list(lessons_for(project=project, user=user))
    for i in items:
        i.project = project  # per-row permission checks ask for it: no query per row
    columns = [{"kind": k, "label": label, "items": [i for i in items if i.kind == k]} for k, label in LessonKind.choices]
    actions = list(actions_for(project=project))
    for a in actions:
        a.project = project  # the permission checks per row ask for it: no query per row
        a.overdue = a.status == LessonActionStatus.OPEN and a.due_date < today
    counts = LessonAction.objects.filter(project=project).aggregate(
        open=Count("pk", filter=Q(status=LessonActionStatus.OPEN)),
        done=Count("pk", filter=Q(status=LessonActionStatus.DONE)))
    return {"columns": columns, "items": items, "actions": actions, "action_counts": counts, "today": today,
            "top": sorted(items, key=lambda i: -i.vote_count)[:5]}


# ---------------------------------------------------------------------------------------- complaints

def complaint_list_for_user(*, user, project=None, filters=None):
    """Complaints of the user's projects (every member sees them), ready for the list page and the API."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    qs = Complaint.objects.filter(project__in=Membership.objects.filter(user=user).values("project_id"))
    if project is not None:
        qs = qs.filter(project=project)
    filters = filters or {}
    for key in ("status", "channel"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    if filters.get("q"):
        qs = qs.filter(Q(category__icontains=filters["q"]) | Q(description__icontains=filters["q"]))
    return qs.select_related("project", "owner", "defect", "created_by").order_by("-received_at", "-id")


def complaint_get_for_user(*, user, pk, project=None) -> Complaint:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    complaint = complaint_list_for_user(user=user, project=project).filter(pk=pk).first()
    if complaint is None:
        raise Http404
    return complaint


def complaint_figures(*, project, days):
    """Counts by status and channel, customers affected by the unresolved ones, and received per day (one query)."""
    rows = list(Complaint.objects.filter(project=project).values("status", "channel", "received_at",
                                                                 "customers_affected"))
    per_day = Counter(_local(r["received_at"]) for r in rows)
    unresolved = [r for r in rows if r["status"] != ComplaintStatus.RESOLVED]
    return {
        "total": len(rows),
        "by_status": [{"status": s, "count": sum(1 for r in rows if r["status"] == s.value)} for s in ComplaintStatus],
        "by_channel": [{"channel": c, "count": sum(1 for r in rows if r["channel"] == c.value)}
                       for c in ComplaintChannel],
        "unresolved": len(unresolved),
        "customers_affected": sum(r["customers_affected"] or 0 for r in unresolved),
        "trend": [{"day": d, "count": per_day[d]} for d in days],
    }


def complaints_in_window(*, project, since, until):
    """For the daily report: received in [since, until), and the ones still unresolved at `until`."""
    rows = list(Complaint.objects.filter(project=project, received_at__lt=until).select_related("owner", "defect")
                .order_by("received_at", "id"))
    return {"received": [c for c in rows if c.received_at >= since],
            "unresolved": [c for c in rows if not c.resolved_at or c.resolved_at >= until]}
