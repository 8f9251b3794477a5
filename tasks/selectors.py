"""Read queries of the cutover area, limited to the user's projects and shaped for their pages.

Every function here makes a fixed number of queries whatever the number of steps or runs."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from projects import freshness
from projects.models import Membership, Phase
from projects.queries import count_of

from .forecast import Forecast, Node, decision_point, schedule
from .models import (
    FINISHED_STEP,
    OPEN_ISSUE,
    CheckStatus,
    ContingencyPlan,
    ContingencyScenario,
    CutoverIssue,
    Drill,
    DrillOutcome,
    EnvCategory,
    EnvCheck,
    EnvCheckStatus,
    EnvEvidence,
    IssueSeverity,
    MigrationCheck,
    MigrationEntity,
    Run,
    Runbook,
    RunbookKind,
    RunKind,
    RunStatus,
    RunStep,
    RunStepStatus,
    Step,
    WorkItem,
    WorkItemStatus,
)

AT_RISK_MARGIN = 0.10  # warn when less than 10% of the window is left as slack


def _my_projects(user):
    return Membership.objects.filter(user=user).values("project_id")


def _int(pk):
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404 from None


# ---------------------------------------------------------------- work items

def workitem_list_for_user(*, user):
    if not user.is_authenticated:
        return WorkItem.objects.none()
    return WorkItem.objects.filter(project__in=_my_projects(user)).select_related("owner").order_by("due_at", "id")


WORKITEMS_PER_PHASE = 30  # the checklist shows each phase's first items by due date; a phase's own page shows all
WORKITEMS_PAGE = 50


def workitems_by_phase(*, project, owner=None, status=None, phase=None, page=None):
    """[{phase, label, items, done, total, more}] in phase order, for the preparation page.

    Two queries whatever the size: the counts per phase, then each phase's first
    WORKITEMS_PER_PHASE items at once (a window function numbers them within their phase). With
    `phase`, that phase alone, WORKITEMS_PAGE items a page (`group["page"]`)."""
    qs = project.work_items.select_related("owner")
    if owner is not None:
        qs = qs.filter(owner=owner)
    if status:
        qs = qs.filter(status=status)
    if phase:
        qs = qs.filter(phase=phase)
    counts = {row["phase"]: row for row in qs.order_by().values("phase").annotate(
        total=Count("id"), done=Count("id", filter=Q(status=WorkItemStatus.DONE)))}
    groups = {value: {"phase": value, "label": label, "items": [], "page": None,
                      "done": counts.get(value, {}).get("done", 0), "total": counts.get(value, {}).get("total", 0)}
              for value, label in Phase.choices if value in counts}
    order = [F("due_at").asc(nulls_last=True), F("id").asc()]  # undated items last, on every database
    ordered = qs.order_by(*order)
    if phase:
        if phase in groups:
            groups[phase]["page"] = Paginator(ordered, WORKITEMS_PAGE).get_page(page)
            groups[phase]["items"] = list(groups[phase]["page"].object_list)
    else:
        ranked = qs.annotate(phase_rank=Window(RowNumber(), partition_by=[F("phase")], order_by=order))
        for item in ranked.filter(phase_rank__lte=WORKITEMS_PER_PHASE).order_by(*order):
            groups[item.phase]["items"].append(item)
    for group in groups.values():
        group["more"] = 0 if group["page"] else group["total"] - len(group["items"])
    return list(groups.values())


def workitem_progress(*, project):
    """{phase: (done, total)} in one query."""
    rows = project.work_items.values("phase").annotate(
        total=Count("id"), done=Count("id", filter=Q(status=WorkItemStatus.DONE)))
    return {r["phase"]: (r["done"], r["total"]) for r in rows}


# ---------------------------------------------------------------- runbooks and steps

def runbook_list_for_user(*, user):
    if not user.is_authenticated:
        return Runbook.objects.none()
    return (Runbook.objects.filter(project__in=_my_projects(user)).select_related("project")
            .annotate(step_count=count_of(Step.objects.filter(runbook=OuterRef("pk"))))
            .order_by("project_id", "kind", "name", "id"))


def runbook_get_for_user(*, user, pk) -> Runbook:
    runbook = runbook_list_for_user(user=user).filter(pk=_int(pk)).first()
    if runbook is None:
        raise Http404
    return runbook


def runbooks_for_project(*, project):
    """The project's runbooks, each with `step_count`, `run_count`, `effort_minutes` (the sum of
    its steps' minutes: the work) and `duration_minutes` (its critical path: how long it takes),
    in three queries however many runbooks and steps."""
    runbooks = list(project.runbooks.annotate(
        step_count=count_of(Step.objects.filter(runbook=OuterRef("pk"))),
        run_count=count_of(Run.objects.filter(runbook=OuterRef("pk"))))
                    .order_by("kind", "name", "id"))
    steps, deps = defaultdict(list), defaultdict(list)
    for from_id, to_id in Step.depends_on.through.objects.filter(
            from_step__runbook__project=project).values_list("from_step_id", "to_step_id"):
        deps[from_id].append(to_id)
    for runbook_id, pk, minutes, order in Step.objects.filter(runbook__project=project).order_by(
            "order", "id").values_list("runbook_id", "id", "planned_minutes", "order"):
        steps[runbook_id].append(Node(id=pk, deps=deps[pk], planned_minutes=minutes, order=order))
    zero = timezone.now().replace(second=0, microsecond=0)
    for runbook in runbooks:
        nodes = steps[runbook.pk]
        runbook.effort_minutes = sum(n.planned_minutes for n in nodes)
        runbook.duration_minutes = (round((schedule(nodes, planned_start=zero, now=zero).planned_finish - zero)
                                          .total_seconds() / 60) if nodes else 0)
    return runbooks


def runbook_steps(*, runbook, page=None, per_page=None, count=None):
    """Steps in order with their owner and dependencies loaded (2 queries); with `per_page`, one
    Page of them (`page` numbered from 1) whose objects are loaded the same way (`count`, when
    the caller knows it, saves the paginator's COUNT)."""
    steps = (runbook.steps.select_related("owner")
             .prefetch_related(Prefetch("depends_on", queryset=Step.objects.only("id", "title", "order")))
             .order_by("order", "id"))
    if per_page:
        paginator = Paginator(steps, per_page)
        if count is not None:
            paginator.count = count  # a cached_property: set, it is not asked of the database
        return paginator.get_page(page)
    return list(steps)


def step_list_for_runbook(*, runbook):
    return runbook.steps.select_related("owner").prefetch_related(
        Prefetch("depends_on", queryset=Step.objects.only("id"))).order_by("order", "id")


def runbook_plan(*, runbook, steps=None):
    """Planned schedule of a runbook from time zero: critical path and total planned duration.

    Without `steps`, reads only what the schedule needs (two lean queries, no model objects), so a
    page showing some of 2,000 steps still plans all of them."""
    if steps is not None:
        rows = [(s.pk, s.planned_minutes, s.order, [d.pk for d in s.depends_on.all()]) for s in steps]
    else:
        deps = defaultdict(list)
        for from_id, to_id in Step.depends_on.through.objects.filter(from_step__runbook=runbook).values_list(
                "from_step_id", "to_step_id"):
            deps[from_id].append(to_id)
        rows = [(pk, minutes, order, deps[pk]) for pk, minutes, order in
                runbook.steps.order_by("order", "id").values_list("id", "planned_minutes", "order")]
    nodes = [Node(id=pk, deps=d, planned_minutes=minutes, order=order) for pk, minutes, order, d in rows]
    zero = timezone.now().replace(second=0, microsecond=0)
    plan = schedule(nodes, planned_start=zero, now=zero)
    return {"critical": set(plan.planned_critical_path),
            "minutes": round((plan.planned_finish - zero).total_seconds() / 60),
            "sum_minutes": sum(minutes for _, minutes, _, _ in rows), "count": len(rows),
            "ids": [pk for pk, _, _, _ in sorted(rows, key=lambda r: (r[2], r[0]))]}


# ---------------------------------------------------------------- runs and forecasts

@dataclass(slots=True)
class LeanStep:
    """What the forecast, the counts and the board's focus need of a run step, without building a
    model instance (a 2,000-step run is 2,000 of these on every board and cutover page)."""

    pk: int
    run_id: int
    source_step_id: int
    order: int
    status: str
    planned_minutes: int
    depends_on: list
    actual_start: object
    actual_end: object
    point_of_no_return: bool
    owner_id: int | None


def lean_steps(run_ids) -> dict:
    """{run id: [LeanStep in run order]} for many runs, in one query."""
    out = defaultdict(list)
    for row in RunStep.objects.filter(run_id__in=list(run_ids)).order_by("run_id", "order", "id").values_list(
            *_LEAN_STEP):
        step = LeanStep(*row)
        out[step.run_id].append(step)
    return out


def run_list_for_user(*, user):
    if not user.is_authenticated:
        return Run.objects.none()
    return (Run.objects.filter(project__in=_my_projects(user)).select_related("runbook", "project")
            .order_by("-planned_start", "-id"))


def run_get_for_user(*, user, pk) -> Run:
    run = Run.objects.filter(project__in=_my_projects(user), pk=_int(pk)).select_related(
        "runbook", "project").first() if user.is_authenticated else None
    if run is None:
        raise Http404
    return run


def runs_for_project(*, project):
    return (project.runs.select_related("runbook")
            .annotate(mismatches=Count("checks", filter=Q(checks__status=CheckStatus.MISMATCH), distinct=True),
                      check_count=Count("checks", distinct=True),
                      open_issues=Count("issues", filter=Q(issues__status__in=OPEN_ISSUE), distinct=True),
                      open_sev1=Count("issues", filter=Q(issues__status__in=OPEN_ISSUE,
                                                         issues__severity=IssueSeverity.SEV1), distinct=True))
            .order_by("runbook__kind", "-kind", "number", "id"))


def rehearsal_estimates(runs) -> dict:
    """{run id: {runbook step id: median minutes of earlier rehearsals}} for many runs in one query."""
    runs = list(runs)
    if not runs:
        return {}
    rows = RunStep.objects.filter(
        run__runbook_id__in={r.runbook_id for r in runs}, run__kind=RunKind.REHEARSAL, status=RunStepStatus.DONE,
        actual_start__isnull=False, actual_end__isnull=False,
    ).values_list("run__runbook_id", "run_id", "run__created_at", "source_step_id", "actual_start", "actual_end")
    by_runbook = defaultdict(list)
    for runbook_id, run_id, created, source, start, end in rows:
        by_runbook[runbook_id].append((run_id, created, source, (end - start).total_seconds() / 60))
    out = {}
    for run in runs:
        durations = defaultdict(list)
        for run_id, created, source, minutes in by_runbook.get(run.runbook_id, ()):
            if run_id != run.pk and created < run.created_at:
                durations[source].append(minutes)
        out[run.pk] = {k: median(v) for k, v in durations.items()}
    return out


def run_window_opens_at(*, run):
    """The earliest moment a production run may start: when the project's cutover window opens.

    The project's window is the one source of truth (a production run is planned at it, and moving
    the go-live moves it), so a window moved after the run was created still counts. None for
    rehearsals, which start whenever the team is ready. No query when `run.project` is loaded."""
    if run.kind != RunKind.PRODUCTION:
        return None
    return run.project.window_start


def run_waits_for_window(*, run, now):
    """When the window of a production run that has not started opens, while that is still
    ahead; None otherwise (rehearsals, started runs, an open window). Pages show it and hold Start."""
    opens_at = run_window_opens_at(run=run) if run.status == RunStatus.PLANNED else None
    return opens_at if opens_at is not None and now < opens_at else None


def run_forecast(*, run, steps, estimates, now=None):
    """Forecast of a run whose steps (RunStep list) and estimates are already loaded; no queries."""
    now = now or timezone.now()
    nodes = [Node(id=s.source_step_id, deps=s.depends_on, planned_minutes=s.planned_minutes,
                  estimate_minutes=estimates.get(s.source_step_id), status=s.status, actual_start=s.actual_start,
                  actual_end=s.actual_end, order=s.order, point_of_no_return=s.point_of_no_return) for s in steps]
    effective_now = run.finished_at if run.status == RunStatus.FINISHED and run.finished_at else now
    if run.status == RunStatus.PLANNED:
        effective_now = max(now, run.planned_start)
    return schedule(nodes, planned_start=run.started_at or run.planned_start, now=effective_now)


# A finished run's forecast never changes again: lists show it from the cache instead of loading and
# scheduling its (up to 2,000) steps on every view. Keyed by when it finished, kept a week.
FINISHED_SUMMARY_TTL = 7 * 24 * 3600


# A run under way (or planned) changes with every step and with time: its summary is kept for
# LIVE_SUMMARY_TTL seconds under the project's version (projects.freshness), so a step that moves shows
# at once and the run board's polling, the runs list and the API share one computation.
LIVE_SUMMARY_TTL = 10


def _summary_key(run):
    return f"tasks:finished-run:{run.pk}:{run.finished_at.timestamp()}"


def _live_key(run, version):
    return f"tasks:live-run:{run.pk}:{version}"


def _summary(run):
    return {"planned_finish": run.fc.planned_finish, "forecast_finish": run.fc.forecast_finish,
            "critical_path": list(run.fc.critical_path), "step_total": run.step_total,
            "finished_steps": run.finished_steps, "decision": run.decision}


def _apply_summary(run, summary):
    run.fc = Forecast(planned_finish=summary["planned_finish"], forecast_finish=summary["forecast_finish"],
                      critical_path=summary["critical_path"], planned_critical_path=summary["critical_path"])
    run.step_total, run.finished_steps = summary["step_total"], summary["finished_steps"]
    run.decision = summary["decision"]


def attach_forecasts(runs, *, now=None, plans=None):
    """Set `run.fc` (planned_finish, forecast_finish, critical_path), `run.decision` (its point of no
    return and decide-by time), the step counts and `breaks_window` on each run: two queries for all the
    runs not cached (finished ones for a week, the others for LIVE_SUMMARY_TTL unless `now` is given),
    and the contingency plan of each project not in `plans` ({project id: plan}, which a page may have
    loaded already)."""
    runs = list(runs)
    plans = {pk: (plan, rollback_minutes_for(plan) or 0) for pk, plan in (plans or {}).items()}
    keys = {r.pk: _summary_key(r) for r in runs if r.status == RunStatus.FINISHED and r.finished_at}
    if now is None:
        versions = {pid: freshness.version(pid, ("tasks",)) for pid in {r.project_id for r in runs if r.pk not in keys}}
        live = {r.pk: _live_key(r, versions[r.project_id]) for r in runs
                if r.pk not in keys and versions[r.project_id]}
    else:
        live = {}
    # The cache degrades to a miss when Redis is down (projects.cache): nothing to catch here.
    known = cache.get_many([*keys.values(), *live.values()]) if keys or live else {}
    for run in runs:
        summary = known.get(keys.get(run.pk) or live.get(run.pk))
        if summary is not None:
            _apply_summary(run, summary)
    todo = [r for r in runs if not hasattr(r, "fc")]
    estimates = rehearsal_estimates(todo)
    steps_of = lean_steps(r.pk for r in todo) if todo else {}
    new, new_live = {}, {}
    for run in todo:
        steps = steps_of.get(run.pk, [])
        run.fc = run_forecast(run=run, steps=steps, estimates=estimates.get(run.pk, {}), now=now)
        if run.project_id not in plans:
            plan = ContingencyPlan.objects.filter(project_id=run.project_id).select_related("rollback_runbook").first()
            plans[run.project_id] = (plan, rollback_minutes_for(plan) or 0)
        plan, minutes = plans[run.project_id]
        run.decision = run_decision_point(run=run, fc=run.fc, steps=steps, plan=plan, rollback_minutes=minutes,
                                          with_title=False)
        run.step_total = len(steps)
        run.finished_steps = sum(1 for s in steps if s.status in FINISHED_STEP)
        if run.pk in keys:
            new[keys[run.pk]] = _summary(run)
        elif run.pk in live:
            new_live[live[run.pk]] = _summary(run)
    if new:
        cache.set_many(new, timeout=FINISHED_SUMMARY_TTL)
    if new_live:
        cache.set_many(new_live, timeout=LIVE_SUMMARY_TTL)
    for run in runs:
        run.breaks_window = run.fc.forecast_finish > run.window_end
    return runs


def _minutes(delta):
    return round(delta.total_seconds() / 60)


# The board lists every step of a short run; a long one (a core-banking cutover has 2,000) shows
# its focus (failed, running, ready, the next on the critical path, points of no return, the
# reader's own next steps, the latest finished), and every step a page at a time on request.
BOARD_ALL_STEPS = 80
BOARD_PAGE = 100
BOARD_NEXT_CRITICAL = 10
BOARD_READY = 20
BOARD_RECENT_DONE = 5
# What the forecast and the counts need of every step; the rows shown are loaded in full.
_LEAN_STEP = ("id", "run_id", "source_step_id", "order", "status", "planned_minutes", "depends_on",
              "actual_start", "actual_end", "point_of_no_return", "owner_id")


def _focus_ids(lean, fc, critical, user):
    """Ids of the steps a long run's board lists first (see BOARD_ALL_STEPS)."""
    ids = set()
    ready = []
    for s in lean:
        if s.status in (RunStepStatus.FAILED, RunStepStatus.RUNNING) or s.point_of_no_return:
            ids.add(s.pk)
        elif s.status == RunStepStatus.READY:
            ready.append(s)
    ids.update(s.pk for s in ready[:BOARD_READY])
    waiting = sorted((s for s in lean if s.status not in FINISHED_STEP and s.status != RunStepStatus.RUNNING
                      and s.source_step_id in critical), key=lambda s: fc.forecast[s.source_step_id].start)
    ids.update(s.pk for s in waiting[:BOARD_NEXT_CRITICAL])
    ids.update(s.pk for s in [s for s in lean if s.owner_id == user.pk and s.status not in FINISHED_STEP][:5])
    done = sorted((s for s in lean if s.status in FINISHED_STEP and s.actual_end), key=lambda s: s.actual_end)
    ids.update(s.pk for s in done[-BOARD_RECENT_DONE:])
    return ids


def run_board(*, run, user, now=None, show="focus", page=None):
    """Everything the live board shows, in a constant number of queries whatever the run's size.

    The forecast, counts and lists are computed over every step from a lean load; the step table
    holds the whole run when it is short, otherwise its focus (`show="focus"`) or one page of all
    steps in order (`show="all"`, `page`)."""
    now = now or timezone.now()
    lean = lean_steps([run.pk])[run.pk]
    estimates = rehearsal_estimates([run])[run.pk]
    fc = run_forecast(run=run, steps=lean, estimates=estimates, now=now)
    critical = set(fc.critical_path)
    window_minutes = max(1, _minutes(run.window_end - run.planned_start))
    slack = _minutes(run.window_end - fc.forecast_finish)
    windowed = len(lean) > BOARD_ALL_STEPS
    steps_page = None
    if not windowed:
        shown_ids = {s.pk for s in lean}
    elif show == "all":
        steps_page = Paginator(lean, BOARD_PAGE).get_page(page)
        shown_ids = {s.pk for s in steps_page.object_list}
    else:
        shown_ids = _focus_ids(lean, fc, critical, user)
    # The focus lists (ready, running, failed, mine, points of no return) are always shown in full.
    shown_ids |= _focus_ids(lean, fc, critical, user) if windowed and show == "all" else set()
    full = {s.pk: s for s in run.steps.filter(pk__in=shown_ids).select_related("owner", "started_by", "finished_by")}
    steps = [full[s.pk] for s in lean if s.pk in full]
    table = steps if steps_page is None else [full[s.pk] for s in steps_page.object_list]

    # Timeline: planned bars and actual/forecast bars on one scale (percent of the visible span).
    span_start = min([run.planned_start] + [s.actual_start for s in steps if s.actual_start])
    span_end = max([fc.planned_finish, fc.forecast_finish, run.window_end, now if run.started_at else span_start])
    span = max(60.0, (span_end - span_start).total_seconds())

    def pos(t):
        return round((t - span_start).total_seconds() * 100 / span, 2)

    counts = defaultdict(int)
    for s in lean:
        counts[s.status] += 1
    position = {s.pk: n for n, s in enumerate(lean, start=1)}
    rows = []
    for s in table:
        p, f = fc.planned[s.source_step_id], fc.forecast[s.source_step_id]
        if s.status == RunStepStatus.RUNNING and s.actual_start:
            elapsed = _minutes(now - s.actual_start)
            variance = elapsed - s.planned_minutes if elapsed > s.planned_minutes else None
        else:
            elapsed, variance = None, s.variance
        rows.append({
            "step": s, "position": position[s.pk], "planned": p, "forecast": f, "critical": s.source_step_id in critical,
            "estimate": estimates.get(s.source_step_id), "elapsed": elapsed, "variance": variance,
            "p_left": pos(p.start), "p_width": max(0.4, pos(p.finish) - pos(p.start)),
            "a_left": pos(f.start), "a_width": max(0.4, pos(f.finish) - pos(f.start)),
            "actual_kind": ("done" if s.status in FINISHED_STEP else "running" if s.status == RunStepStatus.RUNNING
                            else "failed" if s.status == RunStepStatus.FAILED else "forecast"),
        })
    ponr = [{"step": s, "planned": fc.planned[s.source_step_id], "forecast": fc.forecast[s.source_step_id]}
            for s in steps if s.point_of_no_return]
    plan = plan_for_project(project=run.project)
    decision = run_decision_point(run=run, fc=fc, steps=lean, plan=plan, with_title=False)
    # Points of no return are always among the steps shown, so their titles are loaded already.
    decision.step_title = next((s.title for s in steps if s.source_step_id == decision.step_id), "")
    finished = counts[RunStepStatus.DONE] + counts[RunStepStatus.SKIPPED]
    open_issues = list(run.issues.filter(status__in=OPEN_ISSUE).select_related("owner", "step")
                       .order_by("severity", "opened_at", "id"))
    # Once started, plan, forecast, slack and the point of no return all count from the actual start,
    # and the board says so; before that, from the planned start.
    plan_start = run.started_at or run.planned_start
    return {
        "steps": steps,
        "rows": rows,
        "windowed": windowed,
        "show": "all" if steps_page is not None else "focus",
        "steps_page": steps_page,
        "forecast": fc,
        "now": now,
        "now_pos": pos(now) if span_start <= now <= span_end else None,
        "window_pos": pos(run.window_end),
        "ready_now": [s for s in steps if s.status == RunStepStatus.READY][:BOARD_READY],
        "ready_total": counts[RunStepStatus.READY],
        "running": [s for s in steps if s.status == RunStepStatus.RUNNING],
        "failed": [s for s in steps if s.status == RunStepStatus.FAILED],
        "my_next": [s for s in steps if s.owner_id == user.pk and s.status not in FINISHED_STEP][:5],
        "counts": dict(counts),
        "finished": finished,
        "total": len(lean),
        "slack": slack,
        "over": -slack,
        "breaks_window": slack < 0,
        "at_risk": 0 <= slack < window_minutes * AT_RISK_MARGIN,
        "ponr": [{"step": r["step"], "planned": r["planned"].start, "forecast": r["forecast"].start,
                  "passed": r["step"].status in FINISHED_STEP or r["step"].status == RunStepStatus.RUNNING,
                  "late": _minutes(r["forecast"].start - r["planned"].start)} for r in ponr],
        "planned_minutes": _minutes(fc.planned_finish - plan_start),
        "plan_start": plan_start,
        "start_shift": _minutes(plan_start - run.planned_start),
        # A production run waits for its window; its first start is the real go-live, so the board asks first.
        "opens_at": run_waits_for_window(run=run, now=now),
        "confirm_start": run.kind == RunKind.PRODUCTION and run.status == RunStatus.PLANNED,
        "plan": plan,
        "decision": decision,
        "rollback_minutes": decision.rollback_minutes,
        "rollback_deadline": decision.rollback_deadline,
        "open_issues": open_issues,
        "open_sev1": [i for i in open_issues if i.severity == IssueSeverity.SEV1],
        "ponr_after_deadline": decision.late,
    }


def _ponr_nodes(steps):
    return [Node(id=s.source_step_id, deps=(), planned_minutes=0, status=s.status, order=s.order,
                 point_of_no_return=s.point_of_no_return) for s in steps]


def rollback_minutes_for(plan):
    """How long the plan's rollback takes: its rollback runbook's critical path (2 queries), or None."""
    if plan is None or not plan.rollback_runbook_id:
        return None
    # Every run's decide-by needs it: kept while nothing audited changed in the project (projects.freshness).
    return freshness.cached(plan.project_id, f"tasks:runbook-minutes:{plan.rollback_runbook_id}",
                            lambda: runbook_plan(runbook=plan.rollback_runbook)["minutes"], areas=("tasks",)) or None


def run_decision_point(*, run, fc, steps, plan=None, rollback_minutes=None, with_title=True):
    """The run's point of no return and decide-by time (`forecast.DecisionPoint`): the one place that
    computes them for the board, the contingency plan, the runs list and the API. `steps` are the run's
    (lean) steps the forecast `fc` was made from. The plan's agreed decision time counts for production
    runs (it is a time on the go-live night). Two queries for the rollback runbook's length, none when
    `rollback_minutes` is given."""
    if rollback_minutes is None:
        rollback_minutes = rollback_minutes_for(plan)
    agreed = plan.point_of_no_return_at if plan is not None and run.kind == RunKind.PRODUCTION else None
    point = decision_point(fc, _ponr_nodes(steps), window_end=run.window_end, rollback_minutes=rollback_minutes,
                           agreed=agreed)
    if with_title and point.step_id is not None:
        point.step_title = run.steps.filter(source_step_id=point.step_id).values_list("title", flat=True).first() or ""
    return point


def decision_run(*, project):
    """The run whose decision point the contingency plan shows: the running one, else the next production
    run of a cutover runbook, else the latest rehearsal still to run, else the latest run (2 queries)."""
    runs = list(project.runs.filter(runbook__kind=RunbookKind.CUTOVER).select_related("runbook", "project")
                .order_by("-planned_start", "-id"))
    running = [r for r in runs if r.status == RunStatus.RUNNING]
    planned = [r for r in reversed(runs) if r.status == RunStatus.PLANNED]  # the soonest first
    production = [r for r in planned if r.kind == RunKind.PRODUCTION]
    for found in (running, production, planned, runs):
        if found:
            return found[0]
    return None


_UNSET = object()


def project_decision_point(*, project, plan=_UNSET, now=None):
    """(run, DecisionPoint) for the contingency plan's page, the same numbers the run's board shows;
    (None, None) before any cutover run exists. A fixed number of queries; `plan` when the page has
    loaded it already (None: the project has none)."""
    run = decision_run(project=project)
    if run is None:
        return None, None
    steps = lean_steps([run.pk])[run.pk]
    fc = run_forecast(run=run, steps=steps, estimates=rehearsal_estimates([run])[run.pk], now=now)
    plan = plan_for_project(project=project) if plan is _UNSET else plan
    return run, run_decision_point(run=run, fc=fc, steps=steps, plan=plan)


COMPARISON_PAGE = 100


def rehearsal_comparison(*, runbook, over_only=False, page=None):
    """Per step: planned minutes and each rehearsal's actual minutes; steps over plan in every rehearsal flagged.

    Counts cover every step; `rows` is one page (`page_obj`) of them, or of those that ran over
    their plan in some rehearsal with `over_only`."""
    steps = list(runbook.steps.only("id", "runbook_id", "title", "planned_minutes", "order").order_by("order", "id"))
    runs = list(runbook.runs.filter(kind=RunKind.REHEARSAL).order_by("number"))
    actual = defaultdict(dict)
    for run_id, source, start, end in RunStep.objects.filter(
            run__in=runs, status=RunStepStatus.DONE, actual_start__isnull=False, actual_end__isnull=False
    ).values_list("run_id", "source_step_id", "actual_start", "actual_end"):
        actual[source][run_id] = round((end - start).total_seconds() / 60)
    rows = []
    for step in steps:
        values = [actual[step.pk].get(run.pk) for run in runs]
        known = [v for v in values if v is not None]
        med = round(median(known)) if known else None
        rows.append({"step": step, "values": values, "median": med, "position": len(rows) + 1,
                     "always_over": bool(known) and all(v > step.planned_minutes for v in known),
                     "ever_over": any(v > step.planned_minutes for v in known),
                     "adoptable": med is not None and med != step.planned_minutes})
    shown = [r for r in rows if r["ever_over"]] if over_only else rows
    page_obj = Paginator(shown, COMPARISON_PAGE).get_page(page)
    return {"runs": runs, "rows": page_obj.object_list, "page": page_obj, "over_only": over_only,
            "total": len(rows), "ever_over_count": sum(r["ever_over"] for r in rows),
            "over_count": sum(r["always_over"] for r in rows), "issues": issue_stats(runs=runs)}


def issue_stats(*, runs):
    """Per run (in the order given): issues by severity, how many are still open, the median and the
    longest time to resolve in minutes, and the issues themselves (one query for all runs)."""
    by_run = defaultdict(list)
    for issue in CutoverIssue.objects.filter(run__in=runs).select_related("step").order_by("opened_at", "id"):
        by_run[issue.run_id].append(issue)
    out = []
    for run in runs:
        issues = by_run.get(run.pk, [])
        minutes = [i.resolution_minutes for i in issues if i.resolution_minutes is not None]
        out.append({"run": run, "issues": issues, "total": len(issues),
                    "by_severity": [sum(1 for i in issues if i.severity == sev) for sev in IssueSeverity.values],
                    "open": sum(1 for i in issues if i.is_open),
                    "median_minutes": round(median(minutes)) if minutes else None,
                    "max_minutes": max(minutes) if minutes else None})
    return out


# ---------------------------------------------------------------- reconciliation and plan

def check_list_for_user(*, user):
    if not user.is_authenticated:
        return MigrationCheck.objects.none()
    return (MigrationCheck.objects.filter(project__in=_my_projects(user))
            .select_related("run", "run__runbook", "checked_by", "backup_confirmed_by").order_by("run_id", "entity"))


def check_get_for_user(*, user, pk):
    check = check_list_for_user(user=user).filter(pk=_int(pk)).first()
    if check is None:
        raise Http404
    return check


def checks_for_run(*, run):
    return list(run.checks.select_related("checked_by", "backup_confirmed_by").order_by("entity"))


def reconciliation_clean(checks):
    return bool(checks) and all(c.status == CheckStatus.MATCH for c in checks)


def latest_rehearsal(*, project):
    """The most recent finished rehearsal of a cutover runbook (not a rollback's), with its checks loaded."""
    return (project.runs.filter(kind=RunKind.REHEARSAL, status=RunStatus.FINISHED, runbook__kind=RunbookKind.CUTOVER)
            .select_related("runbook").prefetch_related("checks").order_by("-finished_at", "-id").first())


def plan_list_for_user(*, user):
    if not user.is_authenticated:
        return ContingencyPlan.objects.none()
    return ContingencyPlan.objects.filter(project__in=_my_projects(user)).order_by("project_id")


def plan_for_project(*, project):
    return (ContingencyPlan.objects.filter(project=project)
            .select_related("decision_owner", "rollback_runbook", "manager_approved_by", "business_approved_by")
            .first())


def rehearsals_within_window(*, project):
    """(finished rehearsals of the cutover runbooks, how many finished inside their window) in one query;
    a rollback rehearsal has its own criterion (`rollback_rehearsed`)."""
    rows = list(project.runs.filter(kind=RunKind.REHEARSAL, status=RunStatus.FINISHED, runbook__kind=RunbookKind.CUTOVER)
                .values_list("finished_at", "window_end"))
    return len(rows), sum(1 for finished, end in rows if finished and finished <= end)


def overdue_cutoff(now=None, hours=24):
    return (now or timezone.now()) + timedelta(hours=hours)


# ---------------------------------------------------------------- cutover issues and the timeline

def issue_list_for_user(*, user):
    if not user.is_authenticated:
        return CutoverIssue.objects.none()
    return (CutoverIssue.objects.filter(project__in=_my_projects(user))
            .select_related("project", "run", "run__runbook", "step", "owner", "opened_by")
            .order_by("-opened_at", "-id"))


def issue_get_for_user(*, user, pk) -> CutoverIssue:
    issue = issue_list_for_user(user=user).filter(pk=_int(pk)).first()
    if issue is None:
        raise Http404
    return issue


def issues_for_run(*, run, status=None):
    qs = run.issues.select_related("step", "owner", "opened_by").order_by("-opened_at", "-id")
    if status == "open":
        qs = qs.filter(status__in=OPEN_ISSUE)
    elif status:
        qs = qs.filter(status=status)
    return qs


def run_timeline(*, run, newest_first=False, limit=None):
    """The run's war-room timeline: step events, issues and updates in time order (one query)."""
    qs = run.timeline.select_related("run_step", "issue", "actor")
    qs = qs.order_by("-at", "-id") if newest_first else qs.order_by("at", "id")
    return list(qs[:limit]) if limit else qs


# ---------------------------------------------------------------- contingency scenarios and drills

def scenario_list_for_user(*, user):
    if not user.is_authenticated:
        return ContingencyScenario.objects.none()
    return (ContingencyScenario.objects.filter(project__in=_my_projects(user))
            .select_related("owner", "rollback_runbook").order_by("project_id", "id"))


def scenario_get_for_user(*, user, pk):
    scenario = scenario_list_for_user(user=user).filter(pk=_int(pk)).first()
    if scenario is None:
        raise Http404
    return scenario


def scenarios_for_project(*, project):
    """Scenarios with their drills (newest first) and the latest drill's outcome, in two queries."""
    scenarios = list(project.contingency_scenarios.select_related("owner", "rollback_runbook")
                     .prefetch_related(Prefetch("drills", queryset=Drill.objects.select_related("run", "run__runbook")
                                                .order_by("-held_at", "-id")))
                     .order_by("id"))
    for scenario in scenarios:
        drills = list(scenario.drills.all())
        scenario.latest_drill = drills[0] if drills else None
        scenario.drill_count = len(drills)
    return scenarios


def drill_list_for_user(*, user):
    if not user.is_authenticated:
        return Drill.objects.none()
    return (Drill.objects.filter(project__in=_my_projects(user))
            .select_related("scenario", "run", "run__runbook", "recorded_by").order_by("-held_at", "-id"))


def drill_get_for_user(*, user, pk):
    drill = drill_list_for_user(user=user).filter(pk=_int(pk)).first()
    if drill is None:
        raise Http404
    return drill


def drills_for_project(*, project):
    return list(project.drills.select_related("scenario", "run", "run__runbook", "recorded_by")
                .order_by("-held_at", "-id"))


def rollback_rehearsals(*, project):
    """Drills that were a finished rehearsal of a rollback runbook, newest first (one query)."""
    return list(Drill.objects.filter(project=project, run__isnull=False, run__runbook__kind=RunbookKind.ROLLBACK)
                .select_related("run", "run__runbook").order_by("-held_at", "-id"))


def rollback_rehearsed(*, project):
    """(passed rehearsals of a rollback, the latest rehearsal drill or None)."""
    drills = rollback_rehearsals(project=project)
    runs_passed = {d.run_id for d in drills if d.outcome == DrillOutcome.PASSED}
    return len(runs_passed), (drills[0] if drills else None)


# ---------------------------------------------------------------- data-migration plan

PLAN_REHEARSALS = 3


def migration_plan(*, project):
    """{entities: [{entity, cells: [check or None per rehearsal]}], runs: [the last finished rehearsals,
    oldest first], unplanned: [checked entity names the plan lacks]} — four queries whatever the size."""
    entities = list(MigrationEntity.objects.filter(project=project).select_related("owner").order_by("order", "name"))
    # Data moves in the cutover runbooks' rehearsals; a rollback rehearsal migrates nothing.
    runs = list(project.runs.filter(kind=RunKind.REHEARSAL, status=RunStatus.FINISHED, runbook__kind=RunbookKind.CUTOVER)
                .select_related("runbook").order_by("-finished_at", "-id")[:PLAN_REHEARSALS])[::-1]
    checks = {}
    for check in MigrationCheck.objects.filter(run__in=runs).select_related("restore_tested_by",
                                                                               "backup_confirmed_by"):
        checks[(check.run_id, check.entity)] = check
    names = {e.name for e in entities}
    rows = [{"entity": e, "cells": [checks.get((r.pk, e.name)) for r in runs]} for e in entities]
    unplanned = sorted({name for (_run, name) in checks} - names)
    return {"entities": rows, "runs": runs, "unplanned": unplanned}


def migration_restore_state(*, project):
    """(run, checks, not_ready): the latest finished rehearsal, its checks, and how many of them did not
    reconcile or have no tested restore."""
    run = latest_rehearsal(project=project)
    if run is None:
        return None, [], 0
    checks = list(run.checks.all())
    not_ready = sum(1 for c in checks if c.status != CheckStatus.MATCH or not c.restore_tested_at)
    return run, checks, not_ready


def entity_list_for_user(*, user):
    if not user.is_authenticated:
        return MigrationEntity.objects.none()
    return MigrationEntity.objects.filter(project__in=_my_projects(user)).order_by("project_id", "order", "name")


def entity_get_for_user(*, user, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    entity = entity_list_for_user(user=user).select_related("project").filter(pk=pk).first()
    if entity is None:
        raise Http404
    return entity


def cutover_duties(project_ids, since):
    """Duty source (projects.hooks.duty_source): people owning cutover work, ending after `since`.
    Owning a runbook step commits the person for the project's cutover window; owning a step of a
    planned or running run, for that run's window (a rehearsal too). Two queries, however many projects."""
    from projects.hooks import Duty

    found = []
    rows = (Step.objects.filter(runbook__project_id__in=project_ids, owner__isnull=False,
                                runbook__project__window_end__gt=since)
            .order_by().values_list("owner_id", "runbook__project_id", "runbook__project__window_start",
                                    "runbook__project__window_end").distinct())
    found.extend(Duty(user_id=u, project_id=p, starts_at=s, ends_at=e, kind="runbook_step") for u, p, s, e in rows)
    rows = (RunStep.objects.filter(run__project_id__in=project_ids, owner__isnull=False,
                                   run__status__in=[RunStatus.PLANNED, RunStatus.RUNNING], run__window_end__gt=since)
            .order_by().values_list("owner_id", "run__project_id", "run__planned_start", "run__window_end").distinct())
    found.extend(Duty(user_id=u, project_id=p, starts_at=s, ends_at=e, kind="run_step") for u, p, s, e in rows
                 if e > s)
    return found
# ----- "my work" ---------------------------------------------------------------------------------

MY_STEP_STATUSES = (RunStepStatus.READY, RunStepStatus.RUNNING, RunStepStatus.FAILED)


def work_items(*, user, project):
    """The caller's cutover work for "my work" (projects.hooks): the steps they own in a run under way
    that they can start, are running or must retry (`step_to_run`; addressed like the API, by the runbook
    step's id), and the cutover issues they own that are not resolved (`issue_to_resolve`). A running
    step is due when its planned minutes are up, a ready one when the run started; an open issue is due
    from the moment it was opened (the night does not wait). Two queries."""
    from django.urls import reverse

    from projects.hooks import WORK_LIMIT, work
    from projects.queries import first_with_total

    steps, step_total = first_with_total(
        RunStep.objects.filter(run__project=project, run__status=RunStatus.RUNNING, owner=user,
                               status__in=MY_STEP_STATUSES)
        .select_related("run").only("pk", "source_step_id", "title", "status", "planned_minutes", "actual_start",
                                    "run__id", "run__kind", "run__number", "run__planned_start", "run__started_at")
        .order_by("run__planned_start", "order", "pk"), WORK_LIMIT)
    items = []
    for s in steps:
        if s.status == RunStepStatus.RUNNING and s.actual_start:
            due = s.actual_start + timedelta(minutes=s.planned_minutes)
        else:
            due = s.run.started_at or s.run.planned_start
        items.append({"kind": "step_to_run", "id": s.source_step_id, "title": f"{s.title} · {s.run.label}",
                      "due_at": due, "url": reverse("tasks:run_step", args=[project.pk, s.run_id, s.source_step_id])})
    issues, issue_total = first_with_total(
        CutoverIssue.objects.filter(project=project, owner=user, status__in=OPEN_ISSUE)
        .only("pk", "number", "title", "opened_at").order_by("opened_at", "pk"), WORK_LIMIT)
    items.extend({"kind": "issue_to_resolve", "id": i.pk, "title": f"#{i.number} {i.title}", "due_at": i.opened_at,
                  "url": reverse("tasks:issue", args=[project.pk, i.pk])} for i in issues)
    return work(items, {"step_to_run": step_total, "issue_to_resolve": issue_total})
# ---------------------------------------------------------------- environment checklists

def _with_evidence(qs):
    return qs.annotate(evidence_count=count_of(EnvEvidence.objects.filter(item=OuterRef("pk"))))


def envcheck_list_for_user(*, user):
    """The items of the caller's projects, each with `evidence_count` (the API list)."""
    if not user.is_authenticated:
        return EnvCheck.objects.none()
    return _with_evidence(EnvCheck.objects.filter(project__in=_my_projects(user))).order_by(
        "project_id", "category", F("due_at").asc(nulls_last=True), "id")


def envcheck_get_for_user(*, user, pk) -> EnvCheck:
    item = envcheck_list_for_user(user=user).select_related("project").filter(pk=_int(pk)).first()
    if item is None:
        raise Http404
    return item


def envcheck_get(*, project, pk) -> EnvCheck:
    """One item of `project` (the page has checked membership), with its evidence."""
    item = (_with_evidence(project.env_checks.select_related("owner", "checked_by"))
            .prefetch_related(Prefetch("evidence", queryset=EnvEvidence.objects.select_related("uploaded_by")))
            .filter(pk=_int(pk)).first())
    if item is None:
        raise Http404
    return item


def _ready_with_evidence():
    return Q(status=EnvCheckStatus.READY) & Q(Exists(EnvEvidence.objects.filter(item=OuterRef("pk"))))


def envcheck_progress(*, project):
    """{category: {total, ready, mandatory, mandatory_done}} in one query; `mandatory_done` counts the
    mandatory items that are ready with evidence (what `environment_ready` asks)."""
    rows = (project.env_checks.order_by().values("category").annotate(
        total=Count("id"), ready=Count("id", filter=Q(status=EnvCheckStatus.READY)),
        mandatory_total=Count("id", filter=Q(mandatory=True)),
        mandatory_done=Count("id", filter=Q(mandatory=True) & _ready_with_evidence())))
    return {r["category"]: r for r in rows}


def envchecks_by_category(*, project, owner=None, status=None):
    """[{category, label, items, total, ready, mandatory_total, mandatory_done}] in checklist order, for
    the page. Three queries whatever the size: the counts, the items, their evidence."""
    progress = envcheck_progress(project=project)
    qs = _with_evidence(project.env_checks.select_related("owner", "checked_by")).prefetch_related(
        Prefetch("evidence", queryset=EnvEvidence.objects.select_related("uploaded_by")))
    if owner is not None:
        qs = qs.filter(owner=owner)
    if status:
        qs = qs.filter(status=status)
    items = defaultdict(list)
    for item in qs.order_by("category", F("due_at").asc(nulls_last=True), "id") if progress else []:
        items[item.category].append(item)
    return [{"category": value, "label": label, "items": items[value], **progress[value]}
            for value, label in EnvCategory.choices if value in progress]


def evidence_get_for_user(*, user, project, item_pk, pk) -> EnvEvidence:
    """Evidence of an item of `project` (the page has checked membership); a miss is a 404."""
    evidence = EnvEvidence.objects.filter(item__project=project, item_id=_int(item_pk), pk=_int(pk)).first()
    if evidence is None or not evidence.file:
        raise Http404
    return evidence


def my_env_checks(*, user, project, limit=50):
    """The caller's open environment checks for "my work" (kind `check_to_do`): not ready, most urgent
    first (undated last). One query."""
    from django.urls import reverse

    url = reverse("tasks:env_checks", args=[project.pk])
    qs = (project.env_checks.filter(owner=user).exclude(status=EnvCheckStatus.READY)
          .only("pk", "project_id", "title", "location", "due_at").order_by(F("due_at").asc(nulls_last=True), "id")[:limit])
    return [{"kind": "check_to_do", "id": c.pk, "title": str(c), "url": f"{url}#env-{c.pk}", "due_at": c.due_at}
            for c in qs]
