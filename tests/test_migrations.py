"""Upgrading a database of the previous release: readiness, lessons learned and feedback moved to
apps of their own (readiness, hypercare). Every row must survive, under its new app."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The schema of the release before the move (every app at its last migration then).
PREVIOUS_RELEASE = [
    ("projects", "0003_milestone_owner_verbose_name"), ("defects", "0002_feedback"),
    ("requirements", "0001_initial"), ("tasks", "0001_initial"), ("training", "0001_initial"),
    ("notifications", "0004_bulk_insert_friendly"), ("readiness", None), ("hypercare", None),
]


def _migrate(targets):
    """Migrate (backwards or forwards) to `targets`; the models as they are then.

    The state is rebuilt from the targets rather than taken from `migrate()`'s return value: after
    unapplying migrations of several apps at once, that value can hold models of migrations that
    are no longer applied."""
    MigrationExecutor(connection).migrate(targets)
    nodes = [(app, name) for app, name in targets if name]
    return MigrationExecutor(connection).loader.project_state(nodes, at_end=True).apps


def _head():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _seed_previous_release(apps):
    """Rows as the previous release stored them, with its model classes."""
    User = apps.get_model("auth", "User")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Project = apps.get_model("projects", "Project")
    now = timezone.now()
    pm = User.objects.create(username="pm", password="!")
    staff = User.objects.create(username="staff", password="!")
    project = Project.objects.create(name="Core banking", code="cbs", go_live_at=now + timedelta(days=30),
                                     window_start=now + timedelta(days=29), window_end=now + timedelta(days=30))
    decision = apps.get_model("projects", "GoNoGoDecision").objects.create(
        project=project, title="Go/no-go 1", meeting_at=now, status="final", required_roles=["manager"],
        evidence={"score": 40}, score=40, final_verdict="no_go", decided_at=now, decided_by=pm, opened_by=pm)
    apps.get_model("projects", "GoNoGoSignOff").objects.create(decision=decision, role="manager", user=pm,
                                                               verdict="no_go", comment="Not yet", signed_at=now)
    apps.get_model("projects", "HistoricalGoNoGoDecision").objects.create(
        id=decision.pk, project=project, title="Go/no-go 1", meeting_at=now, status="open", required_roles=[],
        evidence={}, score=40, ready=False, final_verdict="", conditions="", opened_by=pm, created_at=now,
        history_date=now, history_type="+", history_user=pm)
    apps.get_model("projects", "ReadinessSnapshot").objects.create(project=project, date=date(2026, 11, 30), score=40,
                                                                   ready=False, criteria=[{"key": "x"}])
    apps.get_model("projects", "SignatureFailure").objects.create(decision=decision, user=pm)
    lesson = apps.get_model("projects", "Lesson").objects.create(project=project, kind="went_wrong",
                                                                  text="Migration ran late", author=pm)
    apps.get_model("projects", "LessonVote").objects.create(lesson=lesson, user=staff)
    apps.get_model("projects", "LessonAction").objects.create(project=project, lesson=lesson, title="Pre-cleanse",
                                                              owner=pm, due_date=date(2026, 12, 24))
    defect = apps.get_model("defects", "Defect").objects.create(
        project=project, number=1, title="Receipt prints old branch code", severity="minor", category="functional",
        reporter=staff, found_in="hypercare")
    apps.get_model("defects", "Feedback").objects.create(project=project, submitter=staff, category="bug",
                                                         text="Receipt shows 0100", defect=defect, status="triaged")
    apps.get_model("defects", "HypercareReportSubscription").objects.create(project=project, user=pm)
    for app_label, model in [("projects", "lesson"), ("projects", "gonogodecision"), ("defects", "feedback")]:
        ContentType.objects.get_or_create(app_label=app_label, model=model)
    return {"decision": decision.pk, "lesson": lesson.pk, "defect": defect.pk}


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_previous_release_upgrades_in_place():
    try:
        old = _migrate(PREVIOUS_RELEASE)
        ids = _seed_previous_release(old)
        new = _migrate(_head())
        get = new.get_model
        decision = get("readiness", "GoNoGoDecision").objects.get(pk=ids["decision"])
        assert (decision.title, decision.final_verdict, decision.evidence) == ("Go/no-go 1", "no_go", {"score": 40})
        assert decision.signoffs.get().comment == "Not yet"
        assert get("readiness", "HistoricalGoNoGoDecision").objects.filter(id=ids["decision"]).count() == 1
        assert get("readiness", "ReadinessSnapshot").objects.get().criteria == [{"key": "x"}]
        assert get("readiness", "SignatureFailure").objects.count() == 1
        lesson = get("hypercare", "Lesson").objects.get(pk=ids["lesson"])
        assert lesson.text == "Migration ran late" and lesson.votes.count() == 1
        assert lesson.actions.get().title == "Pre-cleanse"
        feedback = get("hypercare", "Feedback").objects.get()
        assert feedback.defect_id == ids["defect"] and feedback.text == "Receipt shows 0100"
        assert get("hypercare", "HypercareReportSubscription").objects.count() == 1
        tables = set(connection.introspection.table_names())
        assert {"readiness_gonogodecision", "hypercare_lesson", "hypercare_feedback"} <= tables
        assert not {"projects_gonogodecision", "projects_lesson", "defects_feedback"} & tables
        labels = set(get("contenttypes", "ContentType").objects.values_list("app_label", "model"))
        assert {("hypercare", "lesson"), ("readiness", "gonogodecision"), ("hypercare", "feedback")} <= labels
        assert not {("projects", "lesson"), ("defects", "feedback")} & labels
    finally:
        _migrate(_head())


UPGRADE_STEPS = [["migrate", "--noinput"], ["setup_schedules"], ["collectstatic", "--noinput", "-v0"]]


def test_upgrade_script_runs_the_tested_steps_in_order():
    """deploy/upgrade.sh and the test below must not drift apart."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[1] / "deploy" / "upgrade.sh").read_text()
    positions = [script.index("manage.py " + " ".join(step)) for step in UPGRADE_STEPS]
    assert positions == sorted(positions)
    assert script.index("manage.py backup") < positions[0]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_procedure_from_the_previous_release(tmp_path, settings):
    """What deploy/upgrade.sh does to the database, on the previous release's schema: every row
    survives, the schedules are installed once, static files collected, nothing left to migrate."""
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    settings.STATIC_ROOT = tmp_path / "static"
    try:
        ids = _seed_previous_release(_migrate(PREVIOUS_RELEASE))
        connection.close()
        for step in UPGRADE_STEPS:
            call_command(*step)
        call_command("setup_schedules")  # twice, as a second upgrade would: still one row per job
        from readiness.models import GoNoGoDecision

        assert GoNoGoDecision.objects.get(pk=ids["decision"]).final_verdict == "no_go"
        names = list(PeriodicTask.objects.values_list("name", flat=True))
        assert len(names) == len(set(names)) >= 4
        assert (tmp_path / "static" / "css" / "liftoff.css").exists()
        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    finally:
        _migrate(_head())
