"""Project from a template (issue 18): what `services.project_clone` copies, and what it never copies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from defects import services as defect_services
from defects.models import Defect, SlaPolicy
from projects import hooks, services
from projects.errors import DomainError
from projects.models import AuditEntry, Membership, Milestone, OnCallShift, Project, Responsibility
from readiness import registry
from readiness import services as readiness_services
from tasks import services as task_services
from tasks.models import ContingencyScenario, Run, Runbook, Step
from tests.defects.factories import file_defect
from tests.projects.factories import DepartmentFactory, MilestoneFactory, ProjectFactory, UserFactory, member
from tests.tasks.factories import run, runbook, step
from tests.training.factories import make_course, make_session
from training import services as training_services
from training.models import Course, Module, Question, Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm():
    return UserFactory(username="pm", is_staff=True)


@pytest.fixture
def template(pm):
    """A launch with a bit of everything: templates to copy, people and history not to."""
    source = ProjectFactory(code="branch-1", description="Branch counter rollout", hypercare_days=14)
    member(source, "manager", user=pm)
    ops = member(source, "ops")
    tester = member(source, "tester")
    ops_dept = DepartmentFactory(project=source, name="Operations")
    DepartmentFactory(project=source, name="Retail")
    services.responsibility_set(actor=pm, project=source, area="Cutover", user=ops, raci="A")
    services.responsibility_set(actor=pm, project=source, area="Cutover", user=tester, raci="C")
    services.responsibility_set(actor=pm, project=source, area="Data migration", user=ops, raci="R")
    rb = runbook(source, pm, name="Cutover")
    stop = step(rb, pm, "Stop batch jobs", 20, owner=ops)
    backup = step(rb, pm, "Back up the database", 40, owner=ops)
    step(rb, pm, "Deploy", 30, deps=[stop, backup], checkpoint=True)
    rollback = runbook(source, pm, name="Rollback", kind="rollback")
    step(rb := rollback, pm, "Restore the backup", 60)
    task_services.scenario_create(actor=pm, project=source, trigger="Migration does not reconcile",
                                  response="Roll back", owner=ops, rollback_runbook=rb)
    course = make_course(source, pm, title="Teller basics", required_roles=("staff",),
                         required_departments=[ops_dept])
    module = training_services.module_create(actor=pm, course=course, title="Intro video", kind="video",
                                             url="/media/intro.mp4", minutes=15, pass_mark=80)
    training_services.question_add(actor=pm, module=module, text="Who approves a cash reversal?",
                                   choices=["Teller", "Supervisor"], correct=1)
    make_session(course, pm, trainer=pm)
    defect_services.sla_set(actor=pm, project=source, severity="critical", triage_hours=2, fix_hours=12)
    key = registry.criteria()[0].key
    readiness_services.readiness_settings_set(actor=pm, project=source, settings={key: {"target": 7}},
                                              required_signoffs=["manager", "ops"])
    file_defect(source, tester)
    run(source.runbooks.get(name="Cutover"), pm)
    MilestoneFactory(project=source)
    services.shift_create(actor=pm, project=source, user=ops, starts_at=source.window_start,
                          ends_at=source.window_end)
    source.refresh_from_db()
    return source


def _window(days=60):
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return {"go_live_at": start + timedelta(hours=8), "window_start": start, "window_end": start + timedelta(hours=10)}


def _clone(source, actor, **overrides):
    args = {"name": "Branch rollout 2", "code": "branch-2", **_window(), **overrides}
    return services.project_clone(source=source, actor=actor, **args)


def test_clone_copies_the_templates(template, pm):
    new = _clone(template, pm)

    assert (new.name, new.code, new.description, new.hypercare_days, new.phase) == (
        "Branch rollout 2", "branch-2", "Branch counter rollout", 14, "preparation")
    assert new.readiness_targets == template.readiness_targets
    assert new.readiness_targets["_signoff_roles"] == ["manager", "ops"]
    assert sorted(new.departments.values_list("name", flat=True)) == ["Operations", "Retail"]
    # Runbooks with their steps and the dependencies between the copies.
    assert sorted(Runbook.objects.filter(project=new).values_list("name", "kind")) == [
        ("Cutover", "cutover"), ("Rollback", "rollback")]
    deploy = Step.objects.get(runbook__project=new, title="Deploy")
    assert deploy.checkpoint and deploy.planned_minutes == 30
    assert sorted(d.title for d in deploy.depends_on.all()) == ["Back up the database", "Stop batch jobs"]
    assert all(d.runbook.project_id == new.pk for d in deploy.depends_on.all())
    assert list(Step.objects.filter(runbook__project=new, runbook__name="Cutover").values_list("title", flat=True)) \
        == list(Step.objects.filter(runbook__project=template, runbook__name="Cutover").values_list("title", flat=True))
    # Scenarios point at the copy of their rollback runbook.
    scenario = ContingencyScenario.objects.get(project=new)
    assert scenario.trigger == "Migration does not reconcile"
    assert scenario.rollback_runbook.project_id == new.pk and scenario.rollback_runbook.name == "Rollback"
    # Courses with departments (by name), modules and quiz questions.
    course = Course.objects.get(project=new)
    assert course.required_roles == ["staff"]
    assert [d.project_id for d in course.required_departments.all()] == [new.pk]
    module = Module.objects.get(course=course)
    assert (module.kind, module.pass_mark, module.minutes) == ("video", 80, 15)
    question = Question.objects.get(module=module)
    assert (question.choices, question.correct) == (["Teller", "Supervisor"], 1)
    # SLA policies.
    assert list(SlaPolicy.objects.filter(project=new).values_list("severity", "triage_hours", "fix_hours")) == [
        ("critical", 2, 12)]
    # RACI areas, not the people: the caller holds each as Informed, so each area lacks its A.
    assert sorted(Responsibility.objects.filter(project=new).values_list("area", "user__username", "raci")) == [
        ("Cutover", "pm", "I"), ("Data migration", "pm", "I")]
    assert new.copied == {"departments": 2, "raci_areas": 2, "runbooks": 6, "contingency_scenarios": 1,
                          "courses": 3, "sla": 1, "readiness_targets": 2}


def test_clone_copies_no_people_and_nothing_that_happened(template, pm):
    new = _clone(template, pm)

    assert list(Membership.objects.filter(project=new).values_list("user__username", "role")) == [("pm", "manager")]
    assert not Step.objects.filter(runbook__project=new, owner__isnull=False).exists()
    assert ContingencyScenario.objects.get(project=new).owner is None
    for model in (Defect, Run, Milestone, OnCallShift):
        assert not model.objects.filter(project=new).exists(), model
    assert not Session.objects.filter(course__project=new).exists()
    # The template is untouched.
    assert template.memberships.count() == 3 and Defect.objects.filter(project=template).count() == 1


def test_clone_keeps_history_and_audit(template, pm):
    new = _clone(template, pm)

    deploy = Step.objects.get(runbook__project=new, title="Deploy")
    assert deploy.history.filter(history_type="+").get().history_user == pm
    assert new.history.earliest("history_date").history_change_reason.startswith("Copied from project branch-1")
    logged = set(AuditEntry.objects.filter(project=new, action="+").values_list("model", flat=True))
    assert {"projects.project", "tasks.runbook", "tasks.step", "training.course", "defects.slapolicy",
            "tasks.contingencyscenario", "training.module"} <= logged
    assert Question.objects.get(module__course__project=new).history.get().history_user == pm
    entry = AuditEntry.objects.get(project=template, model="projects.project", object_id=str(new.pk))
    assert entry.actor == pm and entry.changes["code"] == [None, "branch-2"]


def test_the_caller_must_be_a_staff_manager_of_the_source(template):
    ops = template.memberships.get(role="ops").user
    ops.is_staff = True
    ops.save()
    manager = member(template, "manager")  # not staff
    for who in (ops, manager):
        with pytest.raises(DomainError) as exc:
            _clone(template, who)
        assert exc.value.code == "permission"
    assert not Project.objects.filter(code="branch-2").exists()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"code": "branch-1"}, "code"),
    ({"name": "  "}, "name"),
    ({"code": ""}, "code"),
])
def test_bad_input_is_refused_and_nothing_saved(template, pm, overrides, field):
    before = (Project.objects.count(), Runbook.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as exc:
        _clone(template, pm, **overrides)
    assert exc.value.field == field
    assert (Project.objects.count(), Runbook.objects.count(), AuditEntry.objects.count()) == before


def test_window_and_go_live_are_checked(template, pm):
    w = _window()
    with pytest.raises(DomainError) as exc:
        _clone(template, pm, window_end=w["window_start"])
    assert exc.value.field == "window_end"
    with pytest.raises(DomainError) as exc:
        _clone(template, pm, go_live_at=w["window_start"] - timedelta(hours=1))
    assert exc.value.field == "go_live_at"
    _clone(template, pm, go_live_at=w["window_end"] + timedelta(days=1))  # after the window: fine


def test_a_part_that_fails_half_way_saves_nothing(template, pm, monkeypatch):
    def broken(source, target, actor):
        raise RuntimeError("disk full")

    monkeypatch.setitem(hooks._clone_parts, "zz_broken", hooks.ClonePart(
        key="zz_broken", label="broken", func=broken, count=lambda s: 0, order=999))
    counts = (Project.objects.count(), Runbook.objects.count(), Step.objects.count(), Course.objects.count(),
              AuditEntry.objects.count())
    with pytest.raises(RuntimeError):
        _clone(template, pm)
    assert (Project.objects.count(), Runbook.objects.count(), Step.objects.count(), Course.objects.count(),
            AuditEntry.objects.count()) == counts


def test_an_empty_template_gives_an_empty_project(pm):
    source = ProjectFactory()
    member(source, "manager", user=pm)
    new = _clone(source, pm)
    assert new.copied == {"departments": 0, "raci_areas": 0, "runbooks": 0, "contingency_scenarios": 0,
                          "courses": 0, "sla": 0, "readiness_targets": 0}
    assert new.readiness_targets == {}
