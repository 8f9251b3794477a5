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
    """Migrate (backwards or forwards) to `targets`; the models as they are then."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # The models at exactly these targets. (What `migrate` returns after a backwards run is the state
    # before the last migration it undid, which depends on how the plan happens to order the apps:
    # a new migration anywhere changed it.)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None], at_end=True).apps


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
