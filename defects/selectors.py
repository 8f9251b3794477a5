"""Read queries of the defects app, limited to what the user may see.

Security defects (category security) are visible only to managers, testers, developers and ops
members of their project: `defects_visible_to` applies that rule, and every list, page, API
and count of this app starts from it.
"""

from collections import OrderedDict
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects import freshness
from projects.models import Membership, Role

from . import links
from .models import (
    DONE_STATUSES,
    FIX_PENDING_STATUSES,
    OPEN_STATUSES,
    Category,
    CycleKind,
    CycleStatus,
    Defect,
    DefectAttachment,
    DefectComment,
    DefectTransition,
    FindingSeverity,
    FindingStatus,
    FoundIn,
    PerfResult,
    PerfRun,
    PerfTarget,
    ResultStatus,
    SecurityFinding,
    Severity,
    Status,
    TestCase,
    TestCycle,
    TestResult,
    finding_open_q,
    overdue_q,
)
from .rules import SECURITY_ROLES

# What the defect pages show comes from these apps (projects.freshness: a change elsewhere keeps their caches).
AREAS = ("projects", "defects", "requirements")


def _member_projects(user):
    if not user.is_authenticated:
        return Membership.objects.none().values("project_id")
    return Membership.objects.filter(user=user).values("project_id")


def _security_projects(user):
    return Membership.objects.filter(user=user, role__in=(Role.MANAGER, *SECURITY_ROLES)).values("project_id")


def _testing_projects(user):
    """Projects where the user works on testing or fixing: any role but branch staff (rules.TEAM_ROLES)."""
    return Membership.objects.filter(user=user).exclude(role=Role.STAFF).values("project_id")


def defects_visible_to(user, project=None):
    """Every defect the user may see (optionally in one project), no joins yet. Branch staff who hold no
    other role see none: the testing area is not theirs (they report problems as feedback)."""
    if not user.is_authenticated:
        return Defect.objects.none()
    qs = Defect.objects.filter(project__in=_testing_projects(user))
    if project is not None:
        qs = qs.filter(project=project)
    return qs.filter(~Q(category=Category.SECURITY) | Q(project__in=_security_projects(user)))


def hypercare_incidents(qs=None, *, project=None):
    """Incidents: the defects found in hypercare, of `qs` (already limited to a reader) or of a project."""
    if qs is None:
        qs = Defect.objects.filter(project=project)
    return qs.filter(found_in=FoundIn.HYPERCARE)


SORTS = {
    "number": "number", "-number": "-number", "severity": "severity_rank", "-severity": "-severity_rank",
    "status": "status", "-status": "-status", "created": "created_at", "-created": "-created_at",
    "due": "fix_due_at", "-due": "-fix_due_at", "title": "title", "-title": "-title",
}


def _severity_rank():
    from django.db.models import Case, IntegerField, Value, When

    return Case(*[When(severity=s, then=Value(i)) for i, s in enumerate(Severity.values)],
                output_field=IntegerField())


def defect_list_for_user(*, user, project=None, filters=None, now=None):
    """Defects for list pages and the API: filtered, searched, sorted, with `overdue` annotated."""
    from django.db.models import BooleanField, ExpressionWrapper

    now = now or timezone.now()
    f = filters or {}
    qs = defects_visible_to(user, project).select_related("assignee", "reporter", "cycle", "project")
    qs = qs.annotate(overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()),
                     severity_rank=_severity_rank())
    for field in ("severity", "status", "category", "priority", "found_in"):
        value = f.get(field)
        if value:
            qs = qs.filter(**{f"{field}__in" if isinstance(value, (list, tuple)) else field: value})
    if f.get("assignee"):
        qs = qs.filter(assignee_id=getattr(f["assignee"], "pk", f["assignee"]))
    if f.get("cycle"):
        qs = qs.filter(cycle_id=getattr(f["cycle"], "pk", f["cycle"]))
    if f.get("requirement"):
        qs = qs.filter(requirement_id=getattr(f["requirement"], "pk", f["requirement"]))
    if f.get("open"):
        qs = qs.filter(status__in=OPEN_STATUSES)
    if f.get("overdue"):
        qs = qs.filter(overdue_q(now))
    if f.get("mine"):
        qs = qs.filter(Q(assignee=user) | Q(reporter=user))
    q = (f.get("q") or "").strip()
    if q:
        cond = Q(title__icontains=q) | Q(steps__icontains=q) | Q(actual_result__icontains=q) | \
            Q(environment__icontains=q)
        digits = q.upper().removeprefix("D-")
        if digits.isdigit():
            cond |= Q(number=int(digits))
        qs = qs.filter(cond)
    return qs.order_by(SORTS.get(f.get("sort") or "", "-created_at"), "-id")


def defect_get_for_user(*, user, pk, project=None) -> Defect:
    """The defect, if the user may see it; otherwise 404 (a hidden defect does not exist for them)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    defect = (defects_visible_to(user, project).select_related("project", "assignee", "reporter", "cycle",
                                                                "duplicate_of", "test_result__case",
                                                                "requirement")
              .filter(pk=pk).first())
    if defect is None:
        raise Http404
    return defect


def defect_detail(*, defect, user):
    """Everything the defect page shows besides the defect itself."""
    visible = defects_visible_to(user, defect.project_id)
    return {
        "duplicate_of_visible": defect.duplicate_of_id is not None
        and visible.filter(pk=defect.duplicate_of_id).exists(),
        "comments": list(DefectComment.objects.filter(defect=defect).select_related("author")),
        "attachments": list(DefectAttachment.objects.filter(defect=defect).select_related("uploaded_by")),
        "transitions": list(DefectTransition.objects.filter(defect=defect).select_related("actor")),
        "duplicates": list(visible.filter(duplicate_of=defect).only("id", "number", "title", "project_id")),
    }


def attachment_get_for_user(*, user, project, defect_pk, pk) -> DefectAttachment:
    defect = defect_get_for_user(user=user, pk=defect_pk, project=project)
    attachment = DefectAttachment.objects.filter(defect=defect, pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


BOARD_CARDS = 20  # cards per column at first; "show more" brings the next ones
FINISHED = (Status.CLOSED, Status.REJECTED)


def _order_expressions(qs):
    """The queryset's ordering as expressions (for a window function ordered the same way)."""
    return [F(name[1:]).desc() if name.startswith("-") else F(name).asc() for name in qs.query.order_by]


def _first_of_each_status(qs, limit):
    """The first `limit` defects of `qs` in each status, in `qs`'s order.

    Where the database can order and limit each part of a UNION (PostgreSQL), each status is its
    own small top-N that the (project, status, created_at) index serves, and one more query loads
    the cards; elsewhere (SQLite, the demo) one window function numbers the cards per status."""
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [qs.filter(status=status).values_list("pk", flat=True)[:limit] for status in Status]
        ids = list(parts[0].union(*parts[1:], all=True))
        return list(qs.filter(pk__in=ids)) if ids else []
    return list(qs.annotate(board_rank=Window(RowNumber(), partition_by=[F("status")],
                                              order_by=_order_expressions(qs))).filter(board_rank__lte=limit))


def board(*, user, project, filters=None, limit=BOARD_CARDS):
    """Defects by status in workflow order: per column its count and its first `limit` cards.

    A fixed number of queries whatever the size: the counts, then the first cards of every
    column (`_first_of_each_status`). Finished work is shown folded: the
    board is for what moves; the list shows the rest."""
    qs = defect_list_for_user(user=user, project=project, filters=filters)
    counts = dict(qs.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    cards = OrderedDict((s, []) for s in Status)
    for defect in _first_of_each_status(qs, limit):
        cards[Status(defect.status)].append(defect)
    return [{"status": s, "defects": items, "count": counts.get(s.value, 0),
             "more": max(0, counts.get(s.value, 0) - len(items)), "offset": len(items), "collapsed": s in FINISHED}
            for s, items in cards.items()]


def board_column(*, user, project, status, filters=None, offset=0, limit=BOARD_CARDS):
    """The next `limit` cards of one column (the board's "show more"): (cards, how many remain after)."""
    f = {**(filters or {}), "status": status}
    qs = defect_list_for_user(user=user, project=project, filters=f)
    cards = list(qs[offset:offset + limit])
    remaining = max(0, qs.count() - offset - len(cards)) if len(cards) == limit else 0
    return cards, remaining


def defect_counts(*, user, project, now=None):
    """Headline counts for the list page and metrics (visible defects only)."""
    now = now or timezone.now()
    qs = defects_visible_to(user, project)
    agg = qs.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(now)),
        critical=Count("id", filter=Q(status__in=OPEN_STATUSES, severity=Severity.CRITICAL)),
        major=Count("id", filter=Q(status__in=OPEN_STATUSES, severity=Severity.MAJOR)),
        total=Count("id"),
    )
    return agg


# ------------------------------------------------------------- test cycles

def cycles(*, user, project):
    """Cycles with their result counts (execution progress and pass rate per cycle)."""
    return (TestCycle.objects.filter(project=project, project__in=_member_projects(user))
            .annotate(**_cycle_counts()).order_by("-planned_start", "-id"))


def _cycle_counts():
    """Result counts of a cycle: only its own cases (a scoped cycle's pass rate is over its scope)."""
    counts = {s: Count("results", filter=Q(results__status=s)) for s in ResultStatus.values}
    return {"total": Count("results"), **counts,
            "executed": Count("results", filter=~Q(results__status=ResultStatus.NOT_RUN))}


def cycle_list_for_user(*, user):
    return (TestCycle.objects.filter(project__in=_member_projects(user)).annotate(**_cycle_counts())
            .order_by("-planned_start", "-id"))


def cycle_get_for_user(*, user, pk, project=None) -> TestCycle:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = cycle_list_for_user(user=user).select_related("project")
    if project is not None:
        qs = qs.filter(project=project)
    cycle = qs.filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


def cycle_results(*, user, cycle, status=None):
    """Results of a cycle with their case and the (visible) defects filed from them."""
    visible = defects_visible_to(user, cycle.project_id).only("id", "number", "status", "title", "project_id",
                                                              "test_result_id", "severity")
    qs = (TestResult.objects.filter(cycle=cycle).select_related("case", "executed_by")
          .prefetch_related(Prefetch("defects", queryset=visible, to_attr="visible_defects"))
          .order_by("case__code"))
    if status:
        qs = qs.filter(status=status)
    return qs


def result_get(*, cycle, pk) -> TestResult:
    result = TestResult.objects.select_related("case", "cycle__project").filter(cycle=cycle, pk=pk).first()
    if result is None:
        raise Http404
    return result


def case_list(*, project, filters=None):
    """Cases of the cases page: searched, by tag, active or retired (active by default)."""
    f = filters or {}
    qs = TestCase.objects.filter(project=project).annotate(
        runs=Count("results", filter=~Q(results__status=ResultStatus.NOT_RUN)))
    state = f.get("state") or "active"
    if state in ("active", "retired"):
        qs = qs.filter(active=state == "active")
    q = (f.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(code__icontains=q) | Q(automation_key__icontains=q))
    if f.get("requirement"):
        qs = qs.filter(requirements=f["requirement"])
    tag = (f.get("tag") or "").strip()
    if tag:
        ids = [pk for pk, tags in TestCase.objects.filter(project=project).values_list("pk", "tags")
               if tag in (tags or [])]
        qs = qs.filter(pk__in=ids)
    if links.requirement_model() is not None:
        qs = qs.prefetch_related("requirements")
    return qs.order_by("code")


def case_list_for_user(*, user):
    qs = TestCase.objects.filter(project__in=_member_projects(user))
    if links.requirement_model() is not None:
        qs = qs.prefetch_related("requirements")
    return qs.order_by("project_id", "code")


def latest_cycle(project):
    """The most recent cycle that has started (running or done); else the latest planned one."""
    qs = TestCycle.objects.filter(project=project)
    return (qs.exclude(status=CycleStatus.PLANNED).order_by("-planned_start", "-id").first()
            or qs.order_by("-planned_start", "-id").first())


def pass_rate(cycle):
    """(passed, total) for a cycle: the share of its cases that passed."""
    if cycle is None:
        return 0, 0
    agg = TestResult.objects.filter(cycle=cycle).aggregate(
        total=Count("id"), passed=Count("id", filter=Q(status=ResultStatus.PASSED)))
    return agg["passed"], agg["total"]


def requirement_coverage(project, cycle=None, *, sample=20):
    """(covered, approved, the first `sample` uncovered requirements): approved requirements with at
    least one passing test in the cycle (the latest by default). Counted in SQL: two queries."""
    approved = links.approved_requirements(project)
    if approved is None:
        return 0, 0, []
    cycle = cycle if cycle is not None else latest_cycle(project)
    passing = Exists(TestResult.objects.filter(cycle=cycle, status=ResultStatus.PASSED,
                                               case__requirements=OuterRef("pk")))
    counts = approved.aggregate(total=Count("pk"), covered=Count("pk", filter=Q(passing)))
    uncovered = list(approved.filter(~passing).only("pk", "code", "title")[:sample]) if sample else []
    return counts["covered"], counts["total"], uncovered


# ------------------------------------------------------------- metrics

AGEING_BUCKETS = [(0, 2, _("0–2 d")), (3, 7, _("3–7 d")), (8, 14, _("8–14 d")), (15, 30, _("15–30 d")),
                  (31, None, _("> 30 d"))]


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def metrics_page(*, user, project):
    """The metrics page's figures and headline counts. Every reader who may see security defects sees
    the same figures, and so does every reader who may not: computed once per project, audience and
    day, and cached while nothing audited changed in the project (projects.freshness; the age and
    SLA figures, which move with the clock, within its TTL)."""
    sees_security = user.has_perm("defects.view_security", project)
    return freshness.cached(
        project.pk, f"defects:metrics:{int(sees_security)}:{timezone.localdate().isoformat()}",
        lambda: {"m": metrics(user=user, project=project), "counts": defect_counts(user=user, project=project)},
        areas=AREAS)


def metrics(*, user, project, days=30, now=None):
    """Figures for the metrics page, all from defects the user may see. Counted in SQL (three
    queries for the defects, one for the cycles), whatever the number of defects."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    since = _local_midnight(start)
    visible = defects_visible_to(user, project)
    tz = timezone.get_current_timezone()
    arrivals = dict(visible.filter(created_at__gte=since).annotate(day=TruncDate("created_at", tzinfo=tz))
                    .order_by().values("day").annotate(n=Count("pk")).values_list("day", "n"))
    closures = dict(visible.filter(closed_at__gte=since, status__in=DONE_STATUSES)
                    .annotate(day=TruncDate("closed_at", tzinfo=tz))
                    .order_by().values("day").annotate(n=Count("pk")).values_list("day", "n"))
    is_open = Q(status__in=OPEN_STATUSES)
    figures = {f"open_{s.value}": Count("pk", filter=is_open & Q(severity=s.value)) for s in Severity}
    for index, (low, high, _label) in enumerate(AGEING_BUCKETS):
        age = Q(created_at__lt=_local_midnight(today - timedelta(days=low - 1)))  # at least `low` days old
        if high is not None:
            age &= Q(created_at__gte=_local_midnight(today - timedelta(days=high)))  # at most `high` days old
        figures[f"age_{index}"] = Count("pk", filter=is_open & age)
    agg = visible.aggregate(
        total=Count("pk"), reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        ever_fixed=Count("pk", filter=Q(reopen_count__gt=0) | Q(fixed_at__isnull=False)
                         | Q(status__in=(Status.VERIFIED, Status.CLOSED))),
        **figures)
    day_list = [start + timedelta(days=i) for i in range(days)]
    cycle_rows = [{"cycle": c, "passed": c.passed, "total": c.total, "executed": c.total - c.not_run}
                  for c in cycles(user=user, project=project).order_by("planned_start", "id")]
    return {
        "days": [{"day": d, "arrivals": arrivals.get(d, 0), "closures": closures.get(d, 0)} for d in day_list],
        "open_by_severity": [{"severity": s, "count": agg[f"open_{s.value}"]} for s in Severity],
        "ageing": [{"label": str(label), "count": agg[f"age_{i}"]} for i, (_l, _h, label) in enumerate(AGEING_BUCKETS)],
        "reopen": {"reopened": agg["reopened"], "fixed": agg["ever_fixed"],
                   "rate": round(agg["reopened"] * 100 / agg["ever_fixed"], 1) if agg["ever_fixed"] else 0.0},
        "cycles": cycle_rows,
        "total": agg["total"],
        "arrivals_total": sum(arrivals.values()),
        "closures_total": sum(closures.values()),
    }


ASSIGNABLE_ROLES = ("developer", "ops")  # who may be assigned a defect (defects.work)


def assignable_users(project):
    """The members a defect may be assigned to."""
    from projects.pickers import members

    return members(project, ASSIGNABLE_ROLES)



# ------------------------------------------------------------- test cases

def case_get_for_user(*, user, pk, project=None) -> TestCase:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = TestCase.objects.filter(project__in=_member_projects(user)).select_related("project")
    if project is not None:
        qs = qs.filter(project=project)
    case = qs.filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def case_results(*, case):
    """The case's results across cycles, the most recent cycle first (the case page)."""
    return (TestResult.objects.filter(case=case).select_related("cycle", "executed_by")
            .order_by("-cycle__planned_start", "-cycle_id"))


def case_tags(project):
    """Every tag used by the project's active cases, for the cycle planner."""
    tags = set()
    for row in TestCase.objects.filter(project=project, active=True).values_list("tags", flat=True):
        tags.update(row or [])
    return sorted(tags)


def cycle_coverage(cycle):
    """(covered, in scope, uncovered) for one cycle: the approved requirements its own cases test, and
    which of them have at least one passing case in it. Requirements outside the scope do not count."""
    approved = links.approved_requirements(cycle.project)
    if approved is None:
        return 0, 0, []
    in_scope = TestResult.objects.filter(cycle=cycle, case__requirements=OuterRef("pk"))
    passing = in_scope.filter(status=ResultStatus.PASSED)
    rows = list(approved.annotate(scoped=Exists(in_scope), covered=Exists(passing)).filter(scoped=True)
                .only("pk", "code", "title"))
    return sum(1 for r in rows if r.covered), len(rows), [r for r in rows if not r.covered]


# ------------------------------------------------------------- performance

def judge(result, target):
    """Whether a measured transaction meets its target; None when it has no target.

    Passes when the 95th percentile is within the target, the error rate at most the maximum and,
    when a minimum throughput is set, the throughput at least that."""
    if target is None:
        return None
    if result.p95_ms > target.p95_ms or result.error_rate > target.max_error_rate:
        return False
    return not (target.min_tps is not None and (result.tps is None or result.tps < target.min_tps))


def perf_targets(*, project):
    return PerfTarget.objects.filter(project=project).select_related("requirement").order_by("transaction")


def perf_target_list_for_user(*, user):
    return PerfTarget.objects.filter(project__in=_member_projects(user)).order_by("project_id", "transaction")


def perf_run_list_for_user(*, user):
    return (PerfRun.objects.filter(project__in=_member_projects(user)).select_related("cycle")
            .prefetch_related("results").order_by("-created_at", "-id"))


def perf_run_get_for_user(*, user, pk, project=None) -> PerfRun:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = perf_run_list_for_user(user=user).select_related("project", "imported_by")
    if project is not None:
        qs = qs.filter(project=project)
    run = qs.filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def judged_results(run, targets=None):
    """The run's results, each with `target` and `passed` (against the project's targets)."""
    if targets is None:
        targets = {t.transaction: t for t in PerfTarget.objects.filter(project=run.project_id)}
    rows = list(run.results.all())
    for r in rows:
        r.target = targets.get(r.transaction)
        r.passed = judge(r, r.target)
    return rows


def perf_overview(*, project, runs_shown=12):
    """The performance page: targets with their latest result, runs with pass counts, and each target's
    trend over the runs (oldest first) for the charts. A fixed number of queries."""
    targets = list(perf_targets(project=project))
    by_name = {t.transaction: t for t in targets}
    runs = list(PerfRun.objects.filter(project=project).select_related("cycle", "imported_by")
                .prefetch_related("results").order_by("-created_at", "-id"))
    trend = {t.transaction: [] for t in targets}
    latest = {}
    for run in reversed(runs):  # oldest first
        run.judged = judged_results(run, by_name)
        for r in run.judged:
            if r.transaction in trend and run.imported_at:
                trend[r.transaction].append({"run": run, "result": r})
                latest[r.transaction] = (run, r)
    for run in runs:
        run.passed_count = sum(1 for r in run.judged if r.passed)
        run.failed_count = sum(1 for r in run.judged if r.passed is False)
    for t in targets:
        t.latest_run, t.latest = latest.get(t.transaction, (None, None))
        t.passed = t.latest.passed if t.latest else None
        t.trend = trend[t.transaction][-runs_shown:]
    return {"targets": targets, "runs": runs}


def perf_status(project):
    """(met, targets, failing targets) with each target judged on the latest run that measured it."""
    targets = list(PerfTarget.objects.filter(project=project))
    if not targets:
        return 0, 0, []
    names = [t.transaction for t in targets]
    latest = {}
    for r in (PerfResult.objects.filter(run__project=project, run__imported_at__isnull=False, transaction__in=names)
              .order_by("run__imported_at", "run_id")):
        latest[r.transaction] = r
    failing = [t for t in targets if t.transaction not in latest or not judge(latest[t.transaction], t)]
    return len(targets) - len(failing), len(targets), failing


# ------------------------------------------------------------- security findings

def findings_visible_to(user, project=None):
    """Security findings: only managers, testers, developers and ops of their project see them."""
    if not user.is_authenticated:
        return SecurityFinding.objects.none()
    qs = SecurityFinding.objects.filter(project__in=_security_projects(user))
    if project is not None:
        qs = qs.filter(project=project)
    return qs


def finding_list_for_user(*, user, project=None, filters=None, today=None):
    today = today or timezone.localdate()
    f = filters or {}
    qs = findings_visible_to(user, project).select_related("project", "defect", "reported_by", "risk_requested_by",
                                                           "risk_approved_by")
    for name in ("severity", "status", "source"):
        if f.get(name):
            qs = qs.filter(**{name: f[name]})
    if f.get("open"):
        qs = qs.filter(finding_open_q(today))
    if f.get("pending"):
        qs = qs.filter(status=FindingStatus.OPEN, risk_requested_by__isnull=False)
    q = (f.get("q") or "").strip()
    if q:
        cond = Q(title__icontains=q) | Q(component__icontains=q) | Q(location__icontains=q)
        digits = q.upper().removeprefix("SEC-").removeprefix("CWE-")
        if digits.isdigit():
            cond |= Q(number=int(digits)) | Q(cwe=int(digits))
        qs = qs.filter(cond)
    return qs.annotate(severity_rank=_finding_rank()).order_by("severity_rank", "-created_at", "-id")


def _finding_rank():
    from django.db.models import Case, IntegerField, Value, When

    return Case(*[When(severity=s, then=Value(i)) for i, s in enumerate(FindingSeverity.values)],
                output_field=IntegerField())


def finding_get_for_user(*, user, pk, project=None) -> SecurityFinding:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    finding = (findings_visible_to(user, project)
               .select_related("project", "defect", "reported_by", "risk_requested_by", "risk_approved_by")
               .filter(pk=pk).first())
    if finding is None:
        raise Http404
    return finding


def finding_counts(project, today=None):
    """Counts by severity of what still counts against go-live, by status of all (numbers only: the
    exit report and the readiness criterion show them to every member)."""
    today = today or timezone.localdate()
    qs = SecurityFinding.objects.filter(project=project)
    open_q = finding_open_q(today)
    agg = qs.aggregate(
        total=Count("id"), open=Count("id", filter=open_q),
        **{f"open_{s}": Count("id", filter=open_q & Q(severity=s)) for s in FindingSeverity.values},
        **{f"status_{s}": Count("id", filter=Q(status=s)) for s in FindingStatus.values},
        expired=Count("id", filter=Q(status=FindingStatus.RISK_ACCEPTED, risk_expires_on__lt=today)),
        overdue=Count("id", filter=open_q & Q(due_date__lt=today)),
    )
    agg["open_high"] = agg["open_critical"] + agg["open_high"]
    agg["by_severity"] = [{"severity": s, "open": agg[f"open_{s.value}"]} for s in FindingSeverity]
    agg["by_status"] = [{"status": s, "count": agg[f"status_{s.value}"]} for s in FindingStatus]
    return agg


# ------------------------------------------------------------- exit report

def exit_report(*, cycle, user, today=None):
    """What the test-cycle exit report shows: scope, execution and pass rate, coverage of the cycle's own
    requirements, open defects by severity, performance and security results, sign-off lines."""
    project = cycle.project
    today = today or timezone.localdate()
    covered, in_scope, uncovered = cycle_coverage(cycle)
    results = TestResult.objects.filter(cycle=cycle)
    by_status = dict(results.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    total = sum(by_status.values())
    kinds = list(results.values("case__kind").annotate(n=Count("id")).order_by("case__kind"))
    failing = list(results.filter(status__in=(ResultStatus.FAILED, ResultStatus.ERROR, ResultStatus.BLOCKED))
                   .select_related("case").order_by("case__code")[:50])
    open_all = Defect.objects.filter(project=project, status__in=OPEN_STATUSES)
    open_by_severity = dict(open_all.values_list("severity").annotate(n=Count("id")).values_list("severity", "n"))
    cycle_defects = Defect.objects.filter(cycle=cycle)
    found = dict(cycle_defects.values_list("severity").annotate(n=Count("id")).values_list("severity", "n"))
    found_open = dict(cycle_defects.filter(status__in=OPEN_STATUSES).values_list("severity")
                      .annotate(n=Count("id")).values_list("severity", "n"))
    visible_open = list(defects_visible_to(user, project).filter(status__in=OPEN_STATUSES, severity__in=(
        Severity.CRITICAL, Severity.MAJOR)).order_by("severity", "number").only(
        "id", "number", "title", "severity", "status", "project_id")[:30])
    runs = list(PerfRun.objects.filter(project=project, cycle=cycle, imported_at__isnull=False)
                .prefetch_related("results").order_by("imported_at", "id"))
    targets = {t.transaction: t for t in PerfTarget.objects.filter(project=project)}
    for run in runs:
        run.judged = judged_results(run, targets)
    met, target_count, failing_targets = perf_status(project)
    return {
        "cycle": cycle, "project": project, "today": today,
        "total": total, "by_status": [{"status": s, "count": by_status.get(s.value, 0)} for s in ResultStatus],
        "passed": by_status.get(ResultStatus.PASSED, 0),
        "executed": total - by_status.get(ResultStatus.NOT_RUN, 0),
        "kinds": [{"kind": CycleKind(k["case__kind"]).label, "count": k["n"]} for k in kinds],
        "failing": failing,
        "covered": covered, "in_scope": in_scope, "uncovered": uncovered,
        "defects": [{"severity": s, "open": open_by_severity.get(s.value, 0), "found": found.get(s.value, 0),
                     "found_open": found_open.get(s.value, 0)} for s in Severity],
        "blocking_defects": visible_open,
        "perf_runs": runs, "perf_met": met, "perf_targets": target_count, "perf_failing": failing_targets,
        "findings": finding_counts(project, today),
        "signoffs": [_("Test manager"), _("Business representative"), _("Project manager")],
    }


# ------------------------------------------------------------- traceability

def traceability(*, user, project):
    """Requirement → its test cases → each case's latest result → defects (of the requirement, or filed
    from those results), as rows for the matrix page. Defects the reader may not see are left out.
    A fixed number of queries whatever the size."""
    requirements = links.requirements_of(project)
    if requirements is None:
        return []
    requirements = list(requirements.select_related("department").only("pk", "code", "title", "status",
                                                                         "department__name"))
    through = TestCase.requirements.through
    pairs = list(through.objects.filter(requirement__in=[r.pk for r in requirements])
                 .values_list("requirement_id", "testcase_id"))
    case_ids = {c for _r, c in pairs}
    cases = {c.pk: c for c in TestCase.objects.filter(pk__in=case_ids)}
    latest = {}
    for result in (TestResult.objects.filter(case__in=case_ids).exclude(status=ResultStatus.NOT_RUN)
                   .select_related("cycle").order_by("executed_at", "id")):
        latest[result.case_id] = result
    visible = defects_visible_to(user, project).only("id", "number", "title", "status", "severity", "project_id",
                                                      "requirement_id", "test_result_id")
    by_requirement, by_result, by_case = {}, {}, {}
    for d in visible.filter(Q(requirement__in=[r.pk for r in requirements])
                            | Q(test_result__case__in=case_ids)).annotate(case_id=F("test_result__case_id")) \
            .order_by("number"):
        if d.requirement_id:
            by_requirement.setdefault(d.requirement_id, []).append(d)
        if d.test_result_id:
            by_result.setdefault(d.test_result_id, []).append(d)
            by_case.setdefault(d.case_id, []).append(d)
    cases_of = {}
    for req_id, case_id in pairs:
        cases_of.setdefault(req_id, []).append(cases[case_id])
    rows = []
    for req in requirements:
        entries = []
        defects = {d.pk: d for d in by_requirement.get(req.pk, [])}
        for case in sorted(cases_of.get(req.pk, []), key=lambda c: c.code):
            result = latest.get(case.pk)
            # "defects": filed from any run of this case (the export's per-case column)
            entries.append({"case": case, "result": result, "defects": by_case.get(case.pk, [])})
            if result is not None:
                defects.update((d.pk, d) for d in by_result.get(result.pk, []))
        rows.append({"requirement": req, "cases": entries, "requirement_defects": by_requirement.get(req.pk, []),
                     "defects": sorted(defects.values(), key=lambda d: d.number),
                     "status": _trace_status(entries)})
    return rows


def _trace_status(entries):
    """"untested" (no case or none run), "failing" (a case's latest result is not a pass), "passing"."""
    results = [e["result"] for e in entries if e["case"].active]
    if not results or all(r is None for r in results):
        return "untested"
    if any(r is not None and r.status != ResultStatus.PASSED for r in results):
        return "failing"
    return "passing" if all(r is not None for r in results) else "partial"


# ------------------------------------------------------------- "my work"

def work_items(*, user, project):
    """The caller's open defect work for "my work" (projects.hooks): new defects to triage (whoever
    may triage), defects assigned to them to fix, and fixed defects to re-test: those they reported,
    and for testers also those whose reporter is not a tester of the project (a hypercare incident
    filed by branch staff, a defect filed by the manager). Three queries at most, whatever the size."""
    from projects.access import roles_of
    from projects.hooks import WORK_LIMIT, work
    from projects.queries import first_with_total

    visible = defects_visible_to(user, project).only("pk", "project_id", "number", "title", "triage_due_at",
                                                     "fix_due_at")
    items, totals = [], {}

    def add(kind, qs, due):
        rows, totals[kind] = first_with_total(qs, WORK_LIMIT)
        items.extend({"kind": kind, "id": d.pk, "title": f"{d.key} {d.title}", "due_at": getattr(d, due) if due else None,
                      "url": reverse("defects:detail", args=[project.pk, d.pk])} for d in rows)

    if user.has_perm("defects.triage", project):
        add("defect_to_triage", visible.filter(status=Status.NEW).order_by(
            F("triage_due_at").asc(nulls_last=True), "created_at", "pk"), "triage_due_at")
    add("defect_to_fix", visible.filter(assignee=user, status__in=FIX_PENDING_STATUSES).order_by(
        F("fix_due_at").asc(nulls_last=True), "created_at", "pk"), "fix_due_at")
    if user.has_perm("defects.verify", project):
        mine = Q(reporter=user)
        if Role.TESTER in roles_of(user, project):
            testers = Membership.objects.filter(project=project, role=Role.TESTER, user=OuterRef("reporter_id"))
            mine |= ~Exists(testers)
        add("defect_to_verify", visible.filter(mine, status=Status.FIXED).order_by("fixed_at", "pk"), None)
    return work(items, totals)
