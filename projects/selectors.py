"""Read queries for the projects app, already limited to what the user may see."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from .access import remember_roles
from .models import Membership, Milestone, OnCallShift, Project, Raci, Responsibility, ShiftTier
from .queries import count_of


def project_list_for_user(*, user):
    """The projects the user is a member of, with member and milestone counts."""
    if not user.is_authenticated:
        return Project.objects.none()
    # Each count is its own subquery: joining memberships and milestones would multiply the rows
    # (5,000 people × 30 milestones) before counting.
    return (
        Project.objects.filter(pk__in=Membership.objects.filter(user=user).values("project_id"))
        .annotate(
            member_count=_member_count(),
            milestone_count=count_of(Milestone.objects.filter(project_id=OuterRef("pk"))),
            milestones_done=count_of(Milestone.objects.filter(project_id=OuterRef("pk"), actual_date__isnull=False)),
        )
        .order_by("go_live_at", "name")
    )


def _member_count():
    """People per project (a person with several roles counts once), correlated."""
    people = (Membership.objects.filter(project_id=OuterRef("pk")).order_by().values("project_id")
              .annotate(n=Count("user_id", distinct=True)).values("n"))
    return Coalesce(Subquery(people, output_field=IntegerField()), 0)


def project_get_for_user(*, user, pk) -> Project:
    """The project, if the user is a member; otherwise 404 (never confirm it exists)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user.is_authenticated:
        raise Http404
    # One query gives both the project and the caller's roles in it (every project page asks both).
    memberships = list(Membership.objects.filter(project_id=pk, user=user).select_related("project"))
    if not memberships:
        raise Http404
    remember_roles(user, pk, {m.role for m in memberships})
    return memberships[0].project


def member_count(*, project) -> int:
    """How many people are in the project (a person with several roles counts once)."""
    return Membership.objects.filter(project=project).values("user_id").distinct().count()


def roster(*, project, role=None, department=None, q=None, contacts=True):
    """Memberships of the project for the roster page, filtered; the text matches phone numbers
    only for a reader who may see them (`contacts`)."""
    qs = Membership.objects.filter(project=project).select_related("user", "department")
    if role:
        qs = qs.filter(role=role)
    if department:
        qs = qs.filter(department_id=department)
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(job_title__icontains=q)
            | (Q(phone__icontains=q) if contacts else Q(pk__in=[]))
        )
    return qs.order_by("user__last_name", "user__first_name", "user__username", "role")


def membership_list_for_user(*, user):
    return Membership.objects.filter(project__in=Membership.objects.filter(user=user).values("project_id")).select_related(
        "user", "department", "project"
    )


def milestones(*, project):
    return Milestone.objects.filter(project=project).select_related("owner").order_by("planned_date", "id")


def milestone_timeline(*, project, today=None):
    """Milestones with slip figures and positions (0–100) on a planned-vs-actual timeline."""
    today = today or timezone.localdate()
    items = list(milestones(project=project))
    if not items:
        return {"items": [], "today_pos": None}
    dates = [today, project.go_live_at.date()]
    for m in items:
        dates += [d for d in (m.planned_date, m.actual_date, m.forecast_date) if d]
    start, end = min(dates) - timedelta(days=3), max(dates) + timedelta(days=3)
    span = max((end - start).days, 1)

    def pos(d):
        return round((d - start).days * 100 / span, 2) if d else None

    rows = []
    for m in items:
        slip = m.slip_days(today)
        expected = m.actual_date or m.forecast_date or (today if slip else m.planned_date)
        rows.append(
            {
                "milestone": m,
                "slip": slip,
                "late": slip > 0,
                "planned_pos": pos(m.planned_date),
                "expected_pos": pos(expected),
                "slip_width": max(0, (pos(expected) or 0) - (pos(m.planned_date) or 0)),
                "state": "done" if m.done else ("slipping" if slip > 0 else "on_track"),
            }
        )
    return {
        "items": rows,
        "today_pos": pos(today),
        "go_live_pos": pos(project.go_live_at.date()),
        "start": start,
        "end": end,
    }


def raci_summary(*, project):
    """Per work area: how many hold the A, and the areas that break "exactly one A". One query,
    whatever the size of the grid."""
    areas = list(Responsibility.objects.filter(project=project).values("area")
                 .annotate(accountable=Count("pk", filter=Q(raci=Raci.ACCOUNTABLE)), cells=Count("pk"))
                 .order_by("area"))
    return {"areas": areas, "violations": [a for a in areas if a["accountable"] != 1]}


RACI_PEOPLE_PER_PAGE = 25


def raci_grid(*, project, page=1, q=None, per_page=RACI_PEOPLE_PER_PAGE):
    """Work areas × people with their letters, a page of people at a time (a bank's RACI names
    hundreds), and the areas that break "exactly one A" (counted over everyone). Five queries,
    whatever the size: the summary, the people count and page, their cells."""
    from django.contrib.auth import get_user_model
    from django.core.paginator import Paginator

    summary = raci_summary(project=project)
    people = get_user_model().objects.filter(
        pk__in=Responsibility.objects.filter(project=project).values("user_id")).order_by(
        "last_name", "first_name", "username")
    q = (q or "").strip()
    if q:
        people = people.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    people_page = Paginator(people, per_page).get_page(page)
    columns = [{"user": u} for u in people_page.object_list]
    letters = defaultdict(dict)
    for area, user_id, letter in Responsibility.objects.filter(
            project=project, user__in=[c["user"] for c in columns]).values_list("area", "user_id", "raci"):
        letters[area][user_id] = letter
    rows = []
    for a in summary["areas"]:
        cells = letters.get(a["area"], {})
        rows.append({"area": a["area"], "accountable": a["accountable"], "violation": a["accountable"] != 1,
                     "cells": [{"user": c["user"], "letter": cells.get(c["user"].pk, "")} for c in columns]})
    return {"columns": columns, "rows": rows, "violations": summary["violations"], "page": people_page, "q": q}


def shifts(*, project, start=None, end=None):
    qs = OnCallShift.objects.filter(project=project).select_related("user")
    if start:
        qs = qs.filter(ends_at__gt=start)
    if end:
        qs = qs.filter(starts_at__lt=end)
    return qs.order_by("starts_at", "id")


@dataclass(frozen=True)
class OnCall:
    """Who answers at one moment: the primary and the backup on duty (None when nobody is)."""

    primary: object = None
    backup: object = None
    primary_shift: object = None
    backup_shift: object = None


def on_call(*, project, at=None) -> OnCall:
    """The people on call in `project` at `at` (now by default), in one or two queries.

    The primary is the person on a primary shift covering that moment (the one that started
    last, when shifts overlap at a hand-over); the backup the same among backup shifts. A rota
    without a backup shift at that moment falls back to the primary who comes on duty next: the
    person a team would phone anyway."""
    at = at or timezone.now()
    project_id = getattr(project, "pk", project)
    covering = list(OnCallShift.objects.filter(project_id=project_id, starts_at__lte=at, ends_at__gt=at)
                    .select_related("user").order_by("-starts_at", "id"))
    primary = next((s for s in covering if s.tier == ShiftTier.PRIMARY), None)
    backup = next((s for s in covering if s.tier == ShiftTier.BACKUP and (primary is None or s.user_id != primary.user_id)),
                  None)
    if backup is None:
        after = primary.ends_at if primary else at
        backup = (OnCallShift.objects.filter(project_id=project_id, tier=ShiftTier.PRIMARY, starts_at__gte=after)
                  .exclude(user_id=primary.user_id if primary else None).select_related("user")
                  .order_by("starts_at", "id").first())
    return OnCall(primary=primary.user if primary else None, backup=backup.user if backup else None,
                  primary_shift=primary, backup_shift=backup)


def shifts_for_user(*, user, start=None):
    """The person's own shifts in every project they belong to (their personal calendar)."""
    qs = OnCallShift.objects.filter(user=user, project__memberships__user=user).distinct().select_related("project")
    if start:
        qs = qs.filter(ends_at__gt=start)
    return qs.order_by("starts_at", "id")


def coverage_gaps(*, intervals, start, end):
    """Sub-ranges of [start, end) that no interval covers. Intervals are (start, end) pairs."""
    gaps = []
    cursor = start
    for s, e in sorted(intervals):
        if e <= cursor:
            continue
        if s > cursor:
            gaps.append((cursor, min(s, end)))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return [(s, e) for s, e in gaps if e > s]


def rota_gaps(*, project):
    """Gaps in on-call coverage from the cutover window start to the end of hypercare."""
    start, end = project.window_start, project.hypercare_end
    intervals = [(s.starts_at, s.ends_at) for s in shifts(project=project, start=start, end=end)]
    return coverage_gaps(intervals=intervals, start=start, end=end)


def rota_week(*, project, week_start):
    """Seven days from week_start (a date, local): shifts per day and the gaps that fall in the week.

    `gaps` holds only the coverage gaps overlapping the week, clipped to it; `next_gap` is the first
    gap after the week (or None) and `total_gaps` counts all gaps from cutover to hypercare end.
    """
    tz = timezone.get_current_timezone()
    from datetime import datetime, time

    start = timezone.make_aware(datetime.combine(week_start, time.min), tz)
    end = start + timedelta(days=7)
    week_shifts = list(shifts(project=project, start=start, end=end))
    watch_start, watch_end = project.window_start, project.hypercare_end
    all_gaps = coverage_gaps(
        intervals=[(s.starts_at, s.ends_at) for s in shifts(project=project, start=watch_start, end=watch_end)],
        start=watch_start,
        end=watch_end,
    )
    days = []
    for i in range(7):
        day_start = start + timedelta(days=i)
        day_end = day_start + timedelta(days=1)

        def pct(t, day_start=day_start):
            return round(min(max((t - day_start).total_seconds(), 0), 86400) * 100 / 86400, 2)

        day_shifts = [
            {"shift": s, "left": pct(s.starts_at), "width": max(pct(s.ends_at) - pct(s.starts_at), 0.5)}
            for s in week_shifts
            if s.starts_at < day_end and s.ends_at > day_start
        ]
        day_gaps = [
            {"start": max(gs, day_start), "end": min(ge, day_end), "left": pct(gs), "width": pct(ge) - pct(gs)}
            for gs, ge in all_gaps
            if gs < day_end and ge > day_start
        ]
        watched = watch_start < day_end and watch_end > day_start
        days.append({"date": (day_start.astimezone(tz)).date(), "shifts": day_shifts, "gaps": day_gaps,
                     "watched": watched})
    # Only the gaps that overlap this week, clipped to it; the first later gap lets the page point there.
    week_gaps = [(max(gs, start), min(ge, end)) for gs, ge in all_gaps if gs < end and ge > start]
    next_gap = next(((gs, ge) for gs, ge in all_gaps if gs >= end), None)
    return {"days": days, "gaps": week_gaps, "next_gap": next_gap, "total_gaps": len(all_gaps),
            "start": start, "end": end}


def project_with_memberships(*, project):
    return Project.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user", "department"))
    ).get(pk=project.pk)


# ----- the project-wide audit log ---------------------------------------------------------------

AUDIT_FILTERS = ("actor", "model", "since", "until", "object_id", "action")


def _date(text):
    from datetime import date

    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


def audit_log(*, project, filters=None):
    """The project's audit entries newest first, filtered by who (user id or login), what
    (app_label.model), when (since/until, dates inclusive, local time), the object id and the action.
    Bad filter values are ignored on pages; the API checks them first (`audit_filter_errors`)."""
    from datetime import datetime, time

    from django.utils import timezone

    from .models import AuditEntry

    filters = filters or {}
    qs = AuditEntry.objects.filter(project=project).select_related("actor")
    actor = str(filters.get("actor") or "").strip()
    if actor:
        qs = qs.filter(actor_id=int(actor)) if actor.isdigit() else qs.filter(actor__username=actor)
    if filters.get("model"):
        qs = qs.filter(model=str(filters["model"]).strip().lower())
    since, until = _date(filters.get("since")), _date(filters.get("until"))
    if since:
        qs = qs.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        qs = qs.filter(at__lte=timezone.make_aware(datetime.combine(until, time.max)))
    if filters.get("object_id"):
        qs = qs.filter(object_id=str(filters["object_id"]).strip())
    if filters.get("action") in ("+", "~", "-"):
        qs = qs.filter(action=filters["action"])
    return qs.order_by("-at", "-id")


def audit_filter_errors(filters) -> dict:
    """{field: message} for filter values that are not what they should be (the API answers 400)."""
    from django.utils.translation import gettext as _

    errors = {}
    for key in ("since", "until"):
        if filters.get(key) and _date(filters[key]) is None:
            errors[key] = [_("Give a date as YYYY-MM-DD.")]
    if filters.get("action") and filters["action"] not in ("+", "~", "-"):
        errors["action"] = [_("Action is + (created), ~ (changed) or - (deleted).")]
    if len(str(filters.get("object_id") or "")) > 64:
        errors["object_id"] = [_("An object id has at most 64 characters.")]
    return errors


def audit_models(*, project):
    """[(label, verbose name)] of the kinds of object the project's log has entries for (one query)."""
    from django.apps import apps

    from .models import AuditEntry

    labels = AuditEntry.objects.filter(project=project).values_list("model", flat=True).distinct().order_by("model")
    out = []
    for label in labels:
        try:
            out.append((label, str(apps.get_model(label)._meta.verbose_name)))
        except (LookupError, ValueError):
            out.append((label, label))
    return sorted(out, key=lambda pair: pair[1])
