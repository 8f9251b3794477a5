"""Cutover test data, built through the services."""

from datetime import timedelta

from django.utils import timezone

from tasks import services


def runbook(project, actor, name="Cutover", **kwargs):
    return services.runbook_create(actor=actor, project=project, name=name, **kwargs)


def step(rb, actor, title, minutes=10, deps=(), **kwargs):
    kwargs.setdefault("category", "deployment")
    return services.step_create(actor=actor, runbook=rb, title=title, planned_minutes=minutes, depends_on=list(deps),
                                **kwargs)


def chain(rb, actor, n, minutes=10, owner=None):
    """n steps, each depending on the previous one."""
    out, prev = [], None
    for i in range(n):
        prev = step(rb, actor, f"Step {i + 1}", minutes, [prev] if prev else [], owner=owner)
        out.append(prev)
    return out


def run(rb, actor, kind="rehearsal", planned_start=None):
    return services.run_create(actor=actor, runbook=rb, kind=kind,
                               planned_start=planned_start or timezone.now().replace(second=0, microsecond=0))


def run_step(r, source):
    return r.steps.get(source_step_id=source.pk)


def play(r, actor, minutes_by_title=None, start=None):
    """Complete every step of a run in order, each taking planned (or given) minutes; returns the finish."""
    t = start or r.planned_start
    finish = {}
    for rs in r.steps.order_by("order"):
        begin = max([t] + [finish[d] for d in rs.depends_on])
        services.runstep_start(actor=actor, run_step=rs, now=begin)
        end = begin + timedelta(minutes=(minutes_by_title or {}).get(rs.title, rs.planned_minutes))
        services.runstep_complete(actor=actor, run_step=rs, now=end, decision="go" if rs.checkpoint else "",
                                  note="ok" if rs.checkpoint else "")
        finish[rs.source_step_id] = end
    r.refresh_from_db()
    return r
