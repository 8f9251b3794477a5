"""A go against open mandatory blockers records its reason; the readiness score gives partial credit.

The daily snapshots are derived data: their scores are recomputed here with the partial-credit
formula from the criteria they stored, so the trend compares like with like. Go/no-go evidence and
sent status reports are signed or sent records and keep the score they showed. The formula is copied
(a migration must not change when readiness.registry does later)."""

from django.db import migrations, models

# The units of the criteria at the time of this migration (see readiness.registry.unit_for).
YES_NO_KEYS = {"contingency_approved"}


def _unit(row):
    if row.get("key") in YES_NO_KEYS:
        return "yes_no"
    target = row.get("target")
    return "at_most" if target == 0 else "at_least" if target == 1 else "percent"


def _credit(row):
    if row.get("passed"):
        return 1.0
    try:
        value, target = float(row.get("value") or 0), float(row.get("target") or 0)
    except (TypeError, ValueError):
        return 0.0
    credit = value / target if _unit(row) in ("percent", "at_least") and target > 0 else 0.0
    return max(0.0, min(1.0, credit))


def rescore(apps, schema_editor):
    Snapshot = apps.get_model("readiness", "ReadinessSnapshot")
    changed = []
    for snap in Snapshot.objects.only("id", "score", "criteria").iterator(chunk_size=500):
        rows = [r for r in (snap.criteria or []) if isinstance(r, dict)]
        total = sum(r.get("weight", 1) or 0 for r in rows)
        if not total:
            continue
        score = round(sum((r.get("weight", 1) or 0) * _credit(r) for r in rows) * 100 / total)
        if not all(r.get("passed") for r in rows):
            score = min(score, 99)
        if score != snap.score:
            snap.score = score
            changed.append(snap)
    Snapshot.objects.bulk_update(changed, ["score"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('readiness', '0005_status_reports'),
    ]

    operations = [
        migrations.AddField(
            model_name='gonogodecision',
            name='override_reason',
            field=models.TextField(blank=True, verbose_name='reason for going against open blockers'),
        ),
        migrations.AddField(
            model_name='historicalgonogodecision',
            name='override_reason',
            field=models.TextField(blank=True, verbose_name='reason for going against open blockers'),
        ),
        migrations.RunPython(rescore, migrations.RunPython.noop),
    ]
