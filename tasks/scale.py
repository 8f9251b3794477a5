"""Cutover data of the SCALE benchmark launch (`manage.py seed_scale`): 300 preparation work items, a
2,000-step cutover runbook with about 4,000 dependencies (a DAG: each step waits for one or two
earlier ones), and a rehearsal run a quarter done (done, running, one failed, the rest ready or
pending). Bulk, idempotent."""

from datetime import timedelta

from django.utils import timezone

from projects.scale import n

from . import services
from .models import Category, Run, Runbook, RunKind, RunStatus, RunStep, RunStepStatus, Step, WorkItem, WorkItemStatus

BATCH = 2000
CATEGORIES = [Category.DEPLOYMENT, Category.DATA_MIGRATION, Category.DATA_MIGRATION, Category.CONFIGURATION,
              Category.VERIFICATION, Category.COMMUNICATION]


def seed(*, project, people, size=1.0, stdout=None):
    if Runbook.objects.filter(project=project).exists():
        return
    owners = (people.get("ops") or []) + (people.get("developer") or [])[:60] or people["manager"]
    pm = people["manager"][0]
    now = timezone.now()
    statuses = [WorkItemStatus.DONE] * 5 + [WorkItemStatus.DOING] * 2 + [WorkItemStatus.TODO] * 2 \
        + [WorkItemStatus.BLOCKED]
    WorkItem.objects.bulk_create([
        WorkItem(project=project, title=f"Preparation task {k + 1} · 准备工作 {k + 1}", owner=owners[k % len(owners)],
                 due_at=now + timedelta(days=k % 40 - 10), status=statuses[k % len(statuses)],
                 blocked_reason="Waiting for the vendor" if statuses[k % len(statuses)] == WorkItemStatus.BLOCKED else "",
                 done_at=now if statuses[k % len(statuses)] == WorkItemStatus.DONE else None)
        for k in range(n(300, size))], batch_size=BATCH)
    runbook = Runbook.objects.create(project=project, name="Core cutover · 核心系统切换")
    count = n(2000, size)
    Step.objects.bulk_create([
        Step(runbook=runbook, order=k + 1, title=f"Step {k + 1}: {CATEGORIES[k % len(CATEGORIES)].label}",
             category=CATEGORIES[k % len(CATEGORIES)], owner=owners[k % len(owners)],
             planned_minutes=5 + (k * 7) % 40, checkpoint=k in (count // 2, count * 3 // 4),
             point_of_no_return=k == count * 3 // 5)
        for k in range(count)], batch_size=BATCH)
    ids = list(Step.objects.filter(runbook=runbook).order_by("order").values_list("pk", flat=True))
    Link = Step.depends_on.through
    links = []
    for k in range(1, len(ids)):
        links.append(Link(from_step_id=ids[k], to_step_id=ids[k - 1]))
        if k >= 12:
            links.append(Link(from_step_id=ids[k], to_step_id=ids[k - 12]))
    Link.objects.bulk_create(links, batch_size=BATCH)
    run = services.run_create(actor=pm, runbook=runbook, kind=RunKind.REHEARSAL,
                              planned_start=now - timedelta(hours=3))
    quarter = len(ids) // 4
    steps = list(run.steps.order_by("order"))
    started = now - timedelta(hours=3)
    for k, step in enumerate(steps):
        if k < quarter:
            step.status, step.actual_start = RunStepStatus.DONE, started + timedelta(minutes=k * 0.3)
            step.actual_end, step.finished_by, step.started_by = step.actual_start + timedelta(minutes=5), step.owner, step.owner
        elif k < quarter + 4:
            step.status, step.actual_start, step.started_by = RunStepStatus.RUNNING, now - timedelta(minutes=20), step.owner
        elif k == quarter + 4:
            step.status, step.actual_start, step.notes = RunStepStatus.FAILED, now - timedelta(minutes=30), "Timeout"
        elif k < quarter + 30:
            step.status = RunStepStatus.READY
    RunStep.objects.bulk_update(steps, ["status", "actual_start", "actual_end", "finished_by", "started_by", "notes"],
                                batch_size=BATCH)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=started)
    if stdout:
        stdout.write(f"Cutover: {count} steps, {len(links)} dependencies, rehearsal at {quarter}/{count}.")
