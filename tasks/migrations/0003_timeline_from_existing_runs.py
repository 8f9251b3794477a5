"""Runs recorded before the war-room timeline existed get theirs from what their steps kept:
a start for every step that started and an end (done, failed, skipped) for every step that ended.
Attempts before the last one are not known any more and are not invented."""

from django.db import migrations

END_KIND = {"done": "step_done", "failed": "step_failed", "skipped": "step_skipped"}


def forwards(apps, schema_editor):
    RunStep = apps.get_model("tasks", "RunStep")
    TimelineEvent = apps.get_model("tasks", "TimelineEvent")
    runs_with_timeline = set(TimelineEvent.objects.values_list("run_id", flat=True).distinct())
    batch = []
    steps = (RunStep.objects.exclude(run_id__in=runs_with_timeline)
             .filter(actual_start__isnull=False) | RunStep.objects.exclude(run_id__in=runs_with_timeline)
             .filter(status="skipped"))
    for step in steps.order_by("run_id", "id").iterator(chunk_size=2000):
        if step.actual_start:
            batch.append(TimelineEvent(run_id=step.run_id, at=step.actual_start, kind="step_started",
                                       run_step_id=step.pk, actor_id=step.started_by_id))
        if step.actual_end and step.status in END_KIND:
            batch.append(TimelineEvent(run_id=step.run_id, at=step.actual_end, kind=END_KIND[step.status],
                                       run_step_id=step.pk, actor_id=step.finished_by_id,
                                       text=step.notes if step.status != "done" else ""))
        if len(batch) >= 2000:
            TimelineEvent.objects.bulk_create(batch)
            batch = []
    TimelineEvent.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0002_issues_timeline_scenarios_drills")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
