"""Each app's "my work" source (registered in its AppConfig.ready): what it lists, what it leaves out,
and that it costs the same queries for 1 item as for 50."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from defects import services as defect_services
from defects.models import Defect, Status
from projects import hooks
from projects import services as project_services
from readiness import services as readiness_services
from requirements import services as requirement_services
from tasks import services as task_services
from tests.defects.factories import defect_in, file_defect
from tests.projects.factories import member
from tests.requirements.factories import requirement, submitted
from tests.tasks.factories import runbook, step
from tests.training.factories import make_course, make_session
from tests.utils import count_queries
from training import services as training_services

pytestmark = pytest.mark.django_db


def kinds(user, project, kind=None):
    return [(i["kind"], i["id"]) for i in hooks.my_work(user, project) if kind is None or i["kind"] == kind]


# ----- defects ------------------------------------------------------------------------------------

def test_new_defects_go_to_whoever_may_triage(project, users):
    d = file_defect(project, users["tester"], title="Balance wrong")
    assert kinds(users["manager"], project, "defect_to_triage") == [("defect_to_triage", d.pk)]
    item = hooks.my_work(users["manager"], project)[0]
    assert item["title"] == f"{d.key} Balance wrong" and item["url"].endswith(f"/testing/defects/{d.pk}/")
    assert item["due_at"] == d.triage_due_at  # the SLA's triage deadline
    assert kinds(users["tester"], project, "defect_to_triage") == [("defect_to_triage", d.pk)]  # the default
    for role in ("developer", "staff"):  # they may not triage (defects.triage)
        assert kinds(users[role], project, "defect_to_triage") == []
    defect_services.defect_settings_set(actor=users["manager"], project=project, triage_by="managers")
    assert kinds(users["tester"], project, "defect_to_triage") == []  # the project chose managers only


def test_defects_assigned_to_me_to_fix_while_open_in_progress_or_reopened(project, users):
    dev = users["developer"]
    mine = [defect_in(project, s, reporter=users["tester"], assignee=dev)
            for s in (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED)]
    defect_in(project, Status.FIXED, reporter=users["tester"], assignee=dev)  # done on my side
    defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["ops"])  # somebody else's
    assert sorted(kinds(dev, project, "defect_to_fix")) == sorted(("defect_to_fix", d.pk) for d in mine)
    assert kinds(users["ops"], project, "defect_to_fix") != []


def test_fixed_defects_to_retest_by_their_reporter_or_a_tester_when_the_reporter_is_none(project, users):
    tester, other = users["tester"], member(project, "tester")
    own = defect_in(project, Status.FIXED, reporter=tester)
    colleagues = defect_in(project, Status.FIXED, reporter=other)
    by_staff = defect_in(project, Status.FIXED, reporter=users["manager"])
    defect_in(project, Status.VERIFIED, reporter=tester)  # already re-tested
    assert sorted(kinds(tester, project, "defect_to_verify")) == sorted(
        [("defect_to_verify", own.pk), ("defect_to_verify", by_staff.pk)])
    assert ("defect_to_verify", colleagues.pk) in kinds(other, project)
    assert kinds(users["manager"], project, "defect_to_verify") == [("defect_to_verify", by_staff.pk)]
    assert kinds(users["developer"], project, "defect_to_verify") == []  # may not verify


def test_security_defects_stay_hidden_from_roles_that_may_not_see_them(project, users):
    business = users["business"]
    defect_in(project, Status.OPEN, reporter=users["tester"], assignee=business, category="security")
    assert kinds(business, project, "defect_to_fix") == []


# ----- requirements ---------------------------------------------------------------------------------

def test_requirements_to_review_never_my_own(project, users):
    author, reviewer = users["business"], member(project, "business")
    r = submitted(project, author=author)
    requirement(project, author=author)  # a draft: nothing to review
    assert kinds(author, project, "requirement_to_review") == []
    assert kinds(reviewer, project, "requirement_to_review") == [("requirement_to_review", r.pk)]
    item = [i for i in hooks.my_work(reviewer, project) if i["kind"] == "requirement_to_review"][0]
    assert item["due_at"] == r.submitted_at + timedelta(days=2)  # when the waiting reminder goes out
    assert kinds(users["staff"], project, "requirement_to_review") == []  # may not review
    requirement_services.requirement_approve(actor=reviewer, requirement=r)
    assert kinds(reviewer, project, "requirement_to_review") == []


# ----- cutover --------------------------------------------------------------------------------------

def _running_run(project, users, owner):
    rb = runbook(project, users["ops"])
    first = step(rb, users["ops"], "Stop batch", owner=owner)
    second = step(rb, users["ops"], "Deploy", deps=[first], owner=owner)
    third = step(rb, users["ops"], "Smoke test", owner=users["tester"])
    run = task_services.run_create(actor=users["ops"], runbook=rb, planned_start=timezone.now())
    return run, first, second, third


def test_my_steps_in_a_running_run_that_i_can_run(project, users):
    dev = users["developer"]
    run, first, second, third = _running_run(project, users, dev)
    assert kinds(dev, project, "step_to_run") == []  # the run has not started
    task_services.runstep_start(actor=users["tester"], run_step=run.steps.get(source_step_id=third.pk))
    assert kinds(dev, project, "step_to_run") == [("step_to_run", first.pk)]  # ready; "Deploy" waits for it
    rs = run.steps.get(source_step_id=first.pk)
    started = task_services.runstep_start(actor=dev, run_step=rs)
    item = hooks.my_work(dev, project)[0]
    assert item["due_at"] == started.actual_start + timedelta(minutes=rs.planned_minutes)
    assert item["url"].endswith(f"/runs/{run.pk}/steps/{first.pk}/")
    task_services.runstep_complete(actor=dev, run_step=rs)
    assert kinds(dev, project, "step_to_run") == [("step_to_run", second.pk)]


def test_cutover_issues_i_own_until_resolved(project, users):
    run, *_ = _running_run(project, users, users["developer"])
    issue = task_services.issue_file(actor=users["tester"], run=run, title="Batch hangs", owner=users["developer"])
    assert kinds(users["developer"], project, "issue_to_resolve") == [("issue_to_resolve", issue.pk)]
    assert kinds(users["tester"], project, "issue_to_resolve") == []
    task_services.issue_transition(actor=users["developer"], issue=issue, to="resolved", comment="restarted")
    assert kinds(users["developer"], project, "issue_to_resolve") == []


# ----- training -------------------------------------------------------------------------------------

def test_courses_to_take_and_sessions_to_attend(project, users):
    staff, trainer = users["staff"], users["trainer"]
    course = make_course(project, trainer, title="Teller basics")
    other = make_course(project, trainer, title="Cards")
    assert sorted(kinds(staff, project, "course_to_take")) == [("course_to_take", course.pk),
                                                               ("course_to_take", other.pk)]
    session = make_session(course, trainer, trainer=trainer)
    training_services.enrolment_enrol(actor=staff, session=session)
    # The seat is listed; the course it covers is not listed twice.
    assert ("session_to_attend", session.pk) in kinds(staff, project)
    assert kinds(staff, project, "course_to_take") == [("course_to_take", other.pk)]
    assert kinds(users["developer"], project, "course_to_take") == []  # nothing required of developers


def test_trainer_has_the_sessions_they_run_and_attendance_to_mark(project, users):
    trainer, staff = users["trainer"], users["staff"]
    course = make_course(project, trainer)
    with freeze_time(timezone.now() - timedelta(days=5)):
        past = make_session(course, trainer, trainer=trainer, starts_in=timedelta(days=1))
        training_services.enrolment_enrol(actor=staff, session=past)
    coming = make_session(course, trainer, trainer=trainer)
    empty_past_session = None
    with freeze_time(timezone.now() - timedelta(days=5)):
        empty_past_session = make_session(course, trainer, trainer=trainer, starts_in=timedelta(days=2))
    items = {i["id"]: i for i in hooks.my_work(trainer, project) if i["kind"] == "session_to_attend"}
    assert set(items) == {past.pk, coming.pk}  # an ended session with nobody to mark is done
    assert items[past.pk]["title"].startswith("Mark attendance") and items[past.pk]["due_at"] == past.ends_at
    assert items[coming.pk]["title"].startswith("You teach") and empty_past_session.pk not in items
    assert kinds(staff, project, "session_to_attend") == []  # the session is over
    training_services.attendance_record(actor=trainer, session=past, marks={staff.pk: "attended"})
    assert [k for k in kinds(trainer, project, "session_to_attend")] == [("session_to_attend", coming.pk)]


# ----- on-call rota ----------------------------------------------------------------------------------

def test_my_current_and_coming_shifts(project, users):
    ops, now = users["ops"], timezone.now()

    def shift(start, hours=8, user=ops):
        return project_services.shift_create(actor=users["manager"], project=project, user=user,
                                             starts_at=now + start, ends_at=now + start + timedelta(hours=hours))

    current = shift(timedelta(hours=-2))
    soon = shift(timedelta(days=2))
    shift(timedelta(days=30))  # beyond the horizon
    shift(timedelta(days=-3))  # over
    shift(timedelta(days=1), user=users["developer"])
    assert kinds(ops, project, "shift") == [("shift", current.pk), ("shift", soon.pk)]


# ----- go/no-go sign-offs ----------------------------------------------------------------------------

def test_signoffs_i_must_give_until_given(project, users):
    decision = readiness_services.gonogo_open(actor=users["manager"], project=project, title="Go/no-go 1",
                                              required_roles=["business", "ops"])
    assert kinds(users["business"], project, "signoff_to_give") == [("signoff_to_give", decision.pk)]
    assert kinds(users["tester"], project, "signoff_to_give") == []  # not a required role
    assert kinds(users["manager"], project, "signoff_to_give") == []  # managers do not sign for others
    readiness_services.gonogo_sign(decision=decision, actor=users["business"], role="business", verdict="go",
                                   password="correct-horse-battery")
    assert kinds(users["business"], project, "signoff_to_give") == []
    assert kinds(users["ops"], project, "signoff_to_give") == [("signoff_to_give", decision.pk)]


# ----- merging ----------------------------------------------------------------------------------------

def test_most_urgent_first_and_totals_past_the_limit(project, users, monkeypatch):
    monkeypatch.setattr(hooks, "WORK_LIMIT", 2)  # the sources read it when they run
    dev, now = users["developer"], timezone.now()
    defects = [defect_in(project, Status.OPEN, reporter=users["tester"], assignee=dev) for _ in range(4)]
    for d, hours in zip(defects, (30, 5, None, 10), strict=True):
        Defect.objects.filter(pk=d.pk).update(fix_due_at=now + timedelta(hours=hours) if hours else None)
    risk = readiness_services.risk_create(actor=users["manager"], project=project, title="Vendor late",
                                          category="vendor", likelihood=3, impact=3, owner=dev,
                                          review_on=timezone.localdate() + timedelta(days=3))
    summary = hooks.my_work_summary(dev, project)
    assert [(i["kind"], i["id"]) for i in summary["items"]] == [
        ("defect_to_fix", defects[1].pk), ("defect_to_fix", defects[3].pk), ("risk_to_review", risk.pk)]
    assert summary["totals"] == {"defect_to_fix": 4, "risk_to_review": 1} and summary["count"] == 5


def test_a_source_that_fails_is_left_out(project, users, monkeypatch):
    monkeypatch.setitem(hooks._work_sources, "broken", (1, lambda user, project: 1 / 0))
    defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"])
    assert [k for k, _ in kinds(users["developer"], project)] == ["defect_to_fix"]


def test_every_source_costs_the_same_queries_for_1_item_as_for_50(project, users):
    dev, manager = users["developer"], users["manager"]

    def add(n):
        for _ in range(n):
            defect_in(project, Status.OPEN, reporter=users["tester"], assignee=dev)
            file_defect(project, users["tester"])
            submitted(project, author=users["business"])
            project_services.shift_create(actor=manager, project=project, user=dev,
                                          starts_at=timezone.now() + timedelta(hours=1),
                                          ends_at=timezone.now() + timedelta(hours=3))

    add(1)
    _, few = count_queries(lambda: hooks.my_work_summary(dev, project))
    _, few_manager = count_queries(lambda: hooks.my_work_summary(manager, project))
    add(49)
    summary, many = count_queries(lambda: hooks.my_work_summary(dev, project))
    _, many_manager = count_queries(lambda: hooks.my_work_summary(manager, project))
    assert summary["totals"]["defect_to_fix"] == 50 and summary["totals"]["shift"] == 50
    assert (few, few_manager) == (many, many_manager)
    assert many <= 25
