"""Read queries of the defects app, limited to what the user may see.

Security defects (category security) are visible only to managers, testers, developers and ops
members of their project: `defects_visible_to` applies that rule, and every list, page, API
and count of this app starts from it.
"""

from collections import Counter, OrderedDict
from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Membership, Role

from . import links
from .models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Category,
    CycleStatus,
    Defect,
    DefectAttachment,
    DefectComment,
    DefectTransition,
    FoundIn,
    ResultStatus,
    Severity,
    Status,
    TestCase,
    TestCycle,
    TestResult,
    overdue_q,
)
from .rules import SECURITY_ROLES


def _member_projects(user):
    if not user.is_authenticated:
        return Membership.objects.none().values("project_id")
    return Membership.objects.filter(user=user).values("project_id")


def _security_projects(user):
    return Membership.objects.filter(user=user, role__in=(Role.MANAGER, *SECURITY_ROLES)).values("project_id")


def defects_visible_to(user, project=None):
    """Every defect the user may see (optionally in one project), no joins yet."""
    if not user.is_authenticated:
        return Defect.objects.none()
    qs = Defect.objects.filter(project__in=_member_projects(user))
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


def board(*, user, project, filters=None, limit=BOARD_CARDS):
    """Defects by status in workflow order: per column its count and its first `limit` cards.

    Two queries whatever the size: the counts, then the first cards of every column at once (a
    window function numbers the cards within each status). Finished work is shown folded: the
    board is for what moves; the list shows the rest."""
    qs = defect_list_for_user(user=user, project=project, filters=filters)
    counts = dict(qs.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    ranked = qs.annotate(board_rank=Window(RowNumber(), partition_by=[F("status")],
                                           order_by=_order_expressions(qs))).filter(board_rank__lte=limit)
    cards = OrderedDict((s, []) for s in Status)
    for defect in ranked:
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
    return (
        TestCycle.objects.filter(project=project, project__in=_member_projects(user))
        .annotate(
            total=Count("results"),
            passed=Count("results", filter=Q(results__status=ResultStatus.PASSED)),
            failed=Count("results", filter=Q(results__status=ResultStatus.FAILED)),
            blocked=Count("results", filter=Q(results__status=ResultStatus.BLOCKED)),
            not_run=Count("results", filter=Q(results__status=ResultStatus.NOT_RUN)),
            executed=Count("results", filter=~Q(results__status=ResultStatus.NOT_RUN)),
        )
        .order_by("-planned_start", "-id")
    )


def cycle_list_for_user(*, user):
    return TestCycle.objects.filter(project__in=_member_projects(user)).annotate(
        total=Count("results"),
        passed=Count("results", filter=Q(results__status=ResultStatus.PASSED)),
        failed=Count("results", filter=Q(results__status=ResultStatus.FAILED)),
        blocked=Count("results", filter=Q(results__status=ResultStatus.BLOCKED)),
        not_run=Count("results", filter=Q(results__status=ResultStatus.NOT_RUN)),
        executed=Count("results", filter=~Q(results__status=ResultStatus.NOT_RUN)),
    ).order_by("-planned_start", "-id")


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


def case_list(*, project):
    qs = TestCase.objects.filter(project=project).annotate(
        runs=Count("results", filter=~Q(results__status=ResultStatus.NOT_RUN)))
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


def metrics(*, user, project, days=30, now=None):
    """Figures for the metrics page, all from defects the user may see."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    visible = defects_visible_to(user, project)
    rows = list(visible.values("status", "severity", "created_at", "closed_at", "reopen_count", "fixed_at"))
    arrivals, closures = Counter(), Counter()
    open_by_severity = Counter()
    ageing = Counter()
    ever_fixed = reopened = 0
    for r in rows:
        created = timezone.localdate(r["created_at"])
        if created >= start:
            arrivals[created] += 1
        if r["closed_at"] and r["status"] in DONE_STATUSES:
            closed = timezone.localdate(r["closed_at"])
            if closed >= start:
                closures[closed] += 1
        if r["status"] in OPEN_STATUSES:
            open_by_severity[r["severity"]] += 1
            age = (today - created).days
            for index, (low, high, _label) in enumerate(AGEING_BUCKETS):
                if age >= low and (high is None or age <= high):
                    ageing[index] += 1
                    break
        if r["reopen_count"] or r["fixed_at"] or r["status"] in (Status.VERIFIED, Status.CLOSED):
            ever_fixed += 1
        if r["reopen_count"]:
            reopened += 1
    day_list = [start + timedelta(days=i) for i in range(days)]
    cycle_rows = [{"cycle": c, "passed": c.passed, "total": c.total, "executed": c.total - c.not_run}
                  for c in cycles(user=user, project=project).order_by("planned_start", "id")]
    return {
        "days": [{"day": d, "arrivals": arrivals[d], "closures": closures[d]} for d in day_list],
        "open_by_severity": [{"severity": s, "count": open_by_severity[s.value]} for s in Severity],
        "ageing": [{"label": str(label), "count": ageing[i]} for i, (_l, _h, label) in enumerate(AGEING_BUCKETS)],
        "reopen": {"reopened": reopened, "fixed": ever_fixed,
                   "rate": round(reopened * 100 / ever_fixed, 1) if ever_fixed else 0.0},
        "cycles": cycle_rows,
        "total": len(rows),
        "arrivals_total": sum(arrivals.values()),
        "closures_total": sum(closures.values()),
    }


ASSIGNABLE_ROLES = ("developer", "ops")  # who may be assigned a defect (defects.work)
