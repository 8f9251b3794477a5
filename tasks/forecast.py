"""Pure scheduling over a runbook's DAG: cycle detection, critical path and forecast finish.

No database access here: selectors load everything in a fixed number of queries and pass plain
`Node`s in. Everything is linear in steps + dependencies (Kahn's topological order, one pass).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

DONE, SKIPPED, RUNNING, FAILED = "done", "skipped", "running", "failed"


@dataclass
class Node:
    id: int
    deps: list
    planned_minutes: float
    estimate_minutes: float | None = None  # best estimate (rehearsal median) or None → planned
    status: str = "pending"
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    order: int = 0
    point_of_no_return: bool = False


@dataclass
class Scheduled:
    start: datetime
    finish: datetime
    critical: bool = False


@dataclass
class Forecast:
    planned_finish: datetime
    forecast_finish: datetime
    critical_path: list  # node ids, first to last
    planned_critical_path: list
    planned: dict = field(default_factory=dict)  # id -> Scheduled (plan)
    forecast: dict = field(default_factory=dict)  # id -> Scheduled (forecast)


class CycleError(ValueError):
    def __init__(self, cycle):
        super().__init__("cycle: " + " → ".join(map(str, cycle)))
        self.cycle = cycle


def find_cycle(deps: dict) -> list | None:
    """A cycle in the graph {id: [dependency ids]} as [a, b, …, a], or None. Iterative DFS."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(deps, WHITE)
    for root in deps:
        if colour[root] != WHITE:
            continue
        stack = [(root, iter(deps.get(root, ())))]
        path = [root]
        colour[root] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                colour[node] = BLACK
                continue
            if child not in colour:
                continue
            if colour[child] == GREY:
                cycle = path[path.index(child):] + [child]
                # Report in execution order: a dependency comes before the step that waits for it.
                return list(reversed(cycle))
            if colour[child] == WHITE:
                colour[child] = GREY
                path.append(child)
                stack.append((child, iter(deps.get(child, ()))))
    return None


def topological_order(nodes: list) -> list:
    """Nodes in an order where every dependency comes first (ties keep the given order)."""
    by_id = {n.id: n for n in nodes}
    indegree = {n.id: 0 for n in nodes}
    dependents = {n.id: [] for n in nodes}
    for n in nodes:
        for d in n.deps:
            if d in by_id:
                indegree[n.id] += 1
                dependents[d].append(n.id)
    queue = [n.id for n in nodes if indegree[n.id] == 0]
    out = []
    i = 0
    while i < len(queue):
        current = queue[i]
        i += 1
        out.append(by_id[current])
        for child in dependents[current]:
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    if len(out) != len(nodes):
        raise CycleError(find_cycle({n.id: [d for d in n.deps if d in by_id] for n in nodes}) or [])
    return out


def _trace(order, binding, finish):
    """The chain of binding dependencies that ends at the latest finish (ties: earliest in order)."""
    if not order:
        return []
    last = None
    for n in order:
        if last is None or finish[n.id] > finish[last]:
            last = n.id
    path = [last]
    while binding.get(path[-1]) is not None:
        path.append(binding[path[-1]])
    return list(reversed(path))


def schedule(nodes: list, *, planned_start: datetime, now: datetime | None = None) -> Forecast:
    """Plan (planned minutes from the planned start) and forecast (actuals + best estimates from now)."""
    order = topological_order(nodes)
    ids = {n.id for n in nodes}
    plan_finish, plan_bind, planned = {}, {}, {}
    fc_finish, fc_bind, forecast = {}, {}, {}
    now = now or planned_start
    base = max(now, planned_start)
    rank = {n.id: (n.order, n.id) for n in nodes}
    for n in order:
        deps = sorted((d for d in n.deps if d in ids), key=rank.__getitem__)
        # Plan: longest path by planned minutes (ties: the dependency earliest in the runbook).
        bind = None
        for d in deps:
            if bind is None or plan_finish[d] > plan_finish[bind]:
                bind = d
        start = max(planned_start, plan_finish[bind]) if bind is not None else planned_start
        finish = start + timedelta(minutes=n.planned_minutes)
        plan_finish[n.id], plan_bind[n.id] = finish, bind
        planned[n.id] = Scheduled(start, finish)

        # Forecast: what happened, and from now on the best estimate.
        estimate = n.estimate_minutes if n.estimate_minutes is not None else n.planned_minutes
        bind = None
        for d in deps:
            if bind is None or fc_finish[d] > fc_finish[bind]:
                bind = d
        dep_done = fc_finish[bind] if bind is not None else None
        if n.status == DONE and n.actual_start and n.actual_end:
            start, finish = n.actual_start, n.actual_end
        elif n.status == SKIPPED:
            start = finish = n.actual_end or dep_done or base
        elif n.status == RUNNING and n.actual_start:
            start = n.actual_start
            finish = max(now, start + timedelta(minutes=estimate))
        else:
            start = max(base, dep_done) if dep_done is not None else base
            finish = start + timedelta(minutes=estimate)
        fc_finish[n.id], fc_bind[n.id] = finish, bind
        forecast[n.id] = Scheduled(start, finish)

    critical = _trace(order, fc_bind, fc_finish)
    planned_critical = _trace(order, plan_bind, plan_finish)
    for i in critical:
        forecast[i].critical = True
    for i in planned_critical:
        planned[i].critical = True
    return Forecast(
        planned_finish=max(plan_finish.values(), default=planned_start),
        forecast_finish=max(fc_finish.values(), default=base),
        critical_path=critical,
        planned_critical_path=planned_critical,
        planned=planned,
        forecast=forecast,
    )


def median_minutes(durations: dict) -> dict:
    """{step id: [minutes, …]} → {step id: median minutes}."""
    return {key: median(values) for key, values in durations.items() if values}


@dataclass
class DecisionPoint:
    """The one answer to "until when can we still go back?" for a run (pages and API show this).

    - `step_id`, `planned`, `forecast`: the point of no return (PONR) is the start of the first step
      marked as one (by planned start): after it a rollback is no longer possible.
    - `rollback_deadline`: the window's end minus the rollback runbook's critical path (the last
      moment a rollback still fits in the window).
    - `agreed`: the latest rollback decision the contingency plan agreed on (production runs only).
    - `decide_by`: the earliest of the forecast PONR (while it is ahead), the rollback deadline and
      the agreed time; `decide_by_planned` the same with the planned PONR. `reason` says which binds.
    """

    step_id: int | None = None
    step_title: str = ""
    planned: datetime | None = None
    forecast: datetime | None = None
    passed: bool = False
    rollback_minutes: int | None = None
    rollback_deadline: datetime | None = None
    agreed: datetime | None = None
    decide_by: datetime | None = None
    decide_by_planned: datetime | None = None
    reason: str = ""  # "ponr" | "rollback" | "agreed" | ""
    late: bool = False  # the PONR is forecast after the rollback deadline or the agreed time

    @property
    def exists(self):
        return self.step_id is not None or self.decide_by is not None


def _earliest(candidates):
    found = [(t, why) for t, why in candidates if t is not None]
    return min(found, key=lambda c: c[0]) if found else (None, "")


def decision_point(fc: Forecast, nodes: list, *, window_end: datetime, rollback_minutes: int | None = None,
                   agreed: datetime | None = None) -> DecisionPoint:
    """The run's decision point from its forecast (pure; see DecisionPoint). `nodes` are the run's
    steps as Nodes (or anything with id, point_of_no_return and status)."""
    ponr = sorted((n for n in nodes if n.point_of_no_return and n.id in fc.planned),
                  key=lambda n: (fc.planned[n.id].start, n.order, n.id))
    deadline = window_end - timedelta(minutes=rollback_minutes) if rollback_minutes else None
    point = DecisionPoint(rollback_minutes=rollback_minutes or None, rollback_deadline=deadline, agreed=agreed)
    if ponr:
        first = ponr[0]
        point.step_id = first.id
        point.planned = fc.planned[first.id].start
        point.forecast = fc.forecast[first.id].start
        point.passed = first.status in (DONE, SKIPPED, RUNNING)
    limits = [(deadline, "rollback"), (agreed, "agreed")]
    ahead = point.step_id is not None and not point.passed
    # Past the point of no return there is nothing left to decide: the run goes forward.
    if not point.passed:
        point.decide_by, point.reason = _earliest([(point.forecast if ahead else None, "ponr"), *limits])
    point.decide_by_planned, _why = _earliest([(point.planned if point.step_id else None, "ponr"), *limits])
    point.late = ahead and any(t is not None and point.forecast > t for t in (deadline, agreed))
    return point
