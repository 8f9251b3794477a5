from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation
from freezegun import freeze_time

from defects import services
from defects.models import (
    Defect,
    DefectAttachment,
    DefectTransition,
    ResultStatus,
    SlaPolicy,
    Status,
    TestCycle,
    TestResult,
    overdue_q,
)
from defects.reminders import sla_about_to_breach, sla_breached
from notifications.models import Notification
from projects.errors import DomainError
from projects.people import display_name
from tests.defects.factories import (
    PNG,
    REPORT,
    case,
    cycle,
    defect_in,
    file_defect,
    managers_triage,
    requirement,
    upload,
)
from tests.projects.factories import member

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------ filing

def test_file_sets_reporter_status_number_and_transition(project, users):
    d1 = file_defect(project, users["tester"])
    d2 = file_defect(project, users["tester"], title="Second")
    assert (d1.number, d2.number) == (1, 2) and d2.key == "D-2"
    assert d1.reporter == users["tester"] and d1.status == Status.NEW
    assert d1.history.first().history_user == users["tester"]
    assert list(d1.transitions.values_list("from_status", "to_status")) == [("", "new")]


@freeze_time(T0)
def test_sla_deadlines_from_defaults_and_project_setting(project, users):
    d = file_defect(project, users["tester"], severity="critical")
    assert d.triage_due_at == T0 + timedelta(hours=4) and d.fix_due_at == T0 + timedelta(hours=24)
    trivial = file_defect(project, users["tester"], severity="trivial")
    assert trivial.triage_due_at is None and trivial.fix_due_at is None  # best effort
    services.sla_set(actor=users["manager"], project=project, severity="critical", triage_hours=2, fix_hours=8)
    d.refresh_from_db()
    assert d.triage_due_at == T0 + timedelta(hours=2) and d.fix_due_at == T0 + timedelta(hours=8)
    assert SlaPolicy.objects.get(project=project, severity="critical").fix_hours == 8


def test_sla_set_bad_input(project, users):
    with pytest.raises(DomainError) as exc:
        services.sla_set(actor=users["manager"], project=project, severity="major", triage_hours=10, fix_hours=5)
    assert exc.value.field == "fix_hours"
    with pytest.raises(DomainError):
        services.sla_set(actor=users["manager"], project=project, severity="huge", triage_hours=1)
    assert not SlaPolicy.objects.exists()


def test_overdue_with_frozen_time(project, users):
    with freeze_time(T0):
        d = file_defect(project, users["tester"], severity="critical")
    with freeze_time(T0 + timedelta(hours=3)):
        assert d.overdue_at(timezone.now()) is None
        assert not Defect.objects.filter(overdue_q(timezone.now())).exists()
    with freeze_time(T0 + timedelta(hours=5)):  # triage (4 h) missed
        assert d.overdue_at(timezone.now()) == T0 + timedelta(hours=4)
        assert Defect.objects.filter(overdue_q(timezone.now())).count() == 1
        services.defect_assign(actor=users["manager"], defect=d, assignee=users["developer"])
        services.defect_transition(actor=users["manager"], defect=d, to="open")
        d.refresh_from_db()
        assert d.overdue_at(timezone.now()) is None  # triaged; fix due at +24 h
    with freeze_time(T0 + timedelta(hours=25)):
        assert d.overdue_at(timezone.now()) == T0 + timedelta(hours=24)
        services.defect_transition(actor=users["developer"], defect=d, to="in_progress")
        services.defect_transition(actor=users["developer"], defect=d, to="fixed")
        d.refresh_from_db()
        assert d.overdue_at(timezone.now()) is None  # waiting for the tester, not late for the fix


@pytest.mark.parametrize("field", ["title", "steps", "expected_result", "actual_result"])
def test_missing_report_field_is_refused_and_nothing_saved(project, users, field):
    with pytest.raises(DomainError) as exc:
        file_defect(project, users["tester"], **{field: "  "})
    assert exc.value.field == field
    assert not Defect.objects.exists()


@pytest.mark.parametrize("field,value", [("severity", "blocker"), ("category", "cosmetic"), ("priority", "asap"),
                                         ("found_in", "production")])
def test_unknown_choice_is_refused(project, users, field, value):
    with pytest.raises(DomainError) as exc:
        file_defect(project, users["tester"], **{field: value})
    assert exc.value.field == field and value in str(exc.value.message)
    assert not Defect.objects.exists()


def test_staff_files_hypercare_but_not_testing_defects(project, users):
    with pytest.raises(DomainError) as exc:
        file_defect(project, users["staff"], found_in="testing")
    assert exc.value.code == "permission"
    d = file_defect(project, users["staff"], found_in="hypercare", customers_affected=12, branches_affected=2)
    assert d.found_in == "hypercare" and d.customers_affected == 12


def test_incident_resolved_before_start_refused(project, users):
    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        file_defect(project, users["ops"], found_in="hypercare", incident_started_at=now,
                    resolved_at=now - timedelta(hours=1))
    assert exc.value.field == "resolved_at"


def test_assignee_must_be_developer_or_ops_member(project, users, outsider):
    with pytest.raises(DomainError) as exc:
        file_defect(project, users["tester"], assignee=users["business"])
    assert exc.value.field == "assignee"
    with pytest.raises(DomainError):
        file_defect(project, users["tester"], assignee=outsider)
    assert not Defect.objects.exists()


def test_assignment_notifies_assignee(project, users, django_capture_on_commit_callbacks):
    d = file_defect(project, users["tester"])
    with django_capture_on_commit_callbacks():
        services.defect_assign(actor=users["manager"], defect=d, assignee=users["developer"])
    n = Notification.objects.get(recipient=users["developer"], kind="defect_assigned")
    assert d.key in n.message and n.url.endswith(f"/defects/{d.pk}/")


def test_who_assigns_follows_the_triage_setting(project, users):
    d = file_defect(project, users["tester"])
    with pytest.raises(DomainError) as exc:
        services.defect_assign(actor=users["developer"], defect=d, assignee=users["developer"])
    assert exc.value.code == "permission"
    # Default: testers triage too, so the tester who filed it may assign it.
    assert services.defect_assign(actor=users["tester"], defect=d, assignee=users["developer"]).assignee \
        == users["developer"]
    managers_triage(project)
    with pytest.raises(DomainError) as exc:
        services.defect_assign(actor=users["tester"], defect=d, assignee=None)
    assert exc.value.code == "permission" and "project manager" in str(exc.value.message)
    d.refresh_from_db()
    assert d.assignee == users["developer"]


# ------------------------------------------------------------------ workflow

def _legal_kwargs(to):
    if to == "rejected":
        return {"reject_reason": "cannot_reproduce", "comment": "tried on SIT and UAT"}
    return {"comment": "checked"}


ALL = list(Status.values)


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("to", ALL)
def test_every_transition_pair(project, users, start, to):
    """The manager passes every rule, so this checks the state machine itself."""
    d = defect_in(project, start, reporter=users["tester"], assignee=users["developer"])
    allowed = services.TRANSITIONS[Status(start)]
    if to in allowed:
        d = services.defect_transition(actor=users["manager"], defect=d, to=to, **_legal_kwargs(to))
        assert d.status == to
        assert DefectTransition.objects.filter(defect=d, from_status=start, to_status=to).exists()
    else:
        with pytest.raises(DomainError) as exc:
            services.defect_transition(actor=users["manager"], defect=d, to=to, **_legal_kwargs(to))
        message = str(exc.value.message)
        assert ("Allowed next states: " + ", ".join(allowed)) in message if allowed else "final" in message
        d.refresh_from_db()
        assert d.status == start


# (from, to) → roles that may do it (manager always may; developer only when assigned).
ROLE_MATRIX = {
    ("new", "open"): {"manager", "tester"},  # the default setting; see test_triage_setting_managers_only
    ("new", "rejected"): {"manager", "tester"},
    ("open", "in_progress"): {"manager", "developer"},
    ("in_progress", "fixed"): {"manager", "developer"},
    ("fixed", "verified"): {"manager", "tester"},
    ("verified", "closed"): {"manager", "tester"},
    ("closed", "reopened"): {"manager", "tester"},
    ("reopened", "in_progress"): {"manager", "developer"},
}


@pytest.mark.parametrize("step", list(ROLE_MATRIX))
@pytest.mark.parametrize("role", ["manager", "developer", "tester", "business", "ops", "trainer", "staff"])
def test_transition_per_role(project, users, step, role):
    start, to = step
    d = defect_in(project, start, reporter=users["tester"], assignee=users["developer"])
    if role in ROLE_MATRIX[step]:
        assert services.defect_transition(actor=users[role], defect=d, to=to, **_legal_kwargs(to)).status == to
    else:
        with pytest.raises(DomainError) as exc:
            services.defect_transition(actor=users[role], defect=d, to=to, **_legal_kwargs(to))
        assert exc.value.code == "permission"
        d.refresh_from_db()
        assert d.status == start


def test_developer_cannot_move_defect_assigned_to_someone_else(project, users):
    other_dev = member(project, "developer")
    d = defect_in(project, "open", reporter=users["tester"], assignee=other_dev)
    with pytest.raises(DomainError) as exc:
        services.defect_transition(actor=users["developer"], defect=d, to="in_progress")
    assert exc.value.code == "permission" and display_name(other_dev) in str(exc.value.message)
    assert services.defect_transition(actor=other_dev, defect=d, to="in_progress").status == "in_progress"


def test_reject_needs_reason_and_duplicate_needs_original(project, users):
    original = file_defect(project, users["tester"])
    d = file_defect(project, users["tester"], title="again")
    with pytest.raises(DomainError) as exc:
        services.defect_transition(actor=users["tester"], defect=d, to="rejected")
    assert exc.value.field == "reject_reason"
    assert "Not a defect, Duplicate, Cannot reproduce" in str(exc.value.message)
    assert "not_a_defect" not in str(exc.value.message)
    with pytest.raises(DomainError) as exc:
        services.defect_transition(actor=users["tester"], defect=d, to="rejected", reject_reason="duplicate")
    assert exc.value.field == "duplicate_of"
    with pytest.raises(DomainError):
        services.defect_transition(actor=users["tester"], defect=d, to="rejected", reject_reason="duplicate",
                                   duplicate_of=d)
    d = services.defect_transition(actor=users["tester"], defect=d, to="rejected", reject_reason="duplicate",
                                   duplicate_of=original, comment="same as D-1")
    assert d.status == "rejected" and d.duplicate_of == original and d.closed_at


@freeze_time(T0)
def test_reopen_needs_comment_counts_and_restarts_fix_clock(project, users, django_capture_on_commit_callbacks):
    d = defect_in(project, "closed", reporter=users["tester"], assignee=users["developer"], severity="major")
    with pytest.raises(DomainError) as exc:
        services.defect_transition(actor=users["tester"], defect=d, to="reopened")
    assert exc.value.field == "comment"
    with freeze_time(T0 + timedelta(days=5)):
        d = services.defect_transition(actor=users["tester"], defect=d, to="reopened", comment="still 3 decimals")
    assert d.reopen_count == 1 and d.closed_at is None
    assert d.fix_due_at == T0 + timedelta(days=5, hours=72)
    assert Notification.objects.filter(recipient=users["developer"], kind="defect_reopened").exists()


def test_full_life_cycle_keeps_every_step(project, users):
    d = file_defect(project, users["tester"])
    services.defect_assign(actor=users["manager"], defect=d, assignee=users["developer"])
    for actor, to in [("manager", "open"), ("developer", "in_progress"), ("developer", "fixed"),
                      ("tester", "verified"), ("tester", "closed")]:
        d = services.defect_transition(actor=users[actor], defect=d, to=to, comment=f"{to} now")
    assert [t.to_status for t in d.transitions.all()] == ["new", "open", "in_progress", "fixed", "verified",
                                                            "closed"]
    assert d.triaged_at and d.fixed_at and d.closed_at and d.resolved_at


def test_bulk_triage_all_or_nothing(project, users, other_project, outsider):
    a, b = file_defect(project, users["tester"]), file_defect(project, users["tester"])
    foreign = file_defect(other_project, member(other_project, "tester"))
    with pytest.raises(DomainError):
        services.defect_bulk_triage(actor=users["manager"], project=project, defects=[a, foreign],
                                    assignee=users["developer"])
    a.refresh_from_db()
    assert a.assignee is None and a.status == "new"
    n = services.defect_bulk_triage(actor=users["manager"], project=project, defects=[a, b],
                                    assignee=users["developer"], priority="high")
    assert n == 2
    assert set(Defect.objects.filter(project=project).values_list("status", "assignee", "priority")) == {
        ("open", users["developer"].pk, "high")}
    with pytest.raises(DomainError) as exc:
        services.defect_bulk_triage(actor=users["developer"], project=project, defects=[a])
    assert exc.value.code == "permission"
    managers_triage(project)
    with pytest.raises(DomainError) as exc:
        services.defect_bulk_triage(actor=users["tester"], project=project, defects=[a])
    assert exc.value.code == "permission"


def test_update_rerates_and_recomputes_sla(project, users):
    with freeze_time(T0):
        d = file_defect(project, users["tester"], severity="minor")
        d = services.defect_update(actor=users["tester"], defect=d, severity="critical", title="<b>bold</b>")
    assert d.fix_due_at == T0 + timedelta(hours=24) and d.title == "<b>bold</b>"
    with pytest.raises(DomainError) as exc:
        services.defect_update(actor=users["staff"], defect=d, title="mine now")
    assert exc.value.code == "permission"
    with pytest.raises(DomainError):
        services.defect_update(actor=users["tester"], defect=d, status="closed")


# ------------------------------------------------------------------ attachments

def test_attachment_png_and_log_accepted(project, users, settings):
    d = file_defect(project, users["tester"])
    a = services.attachment_add(actor=users["business"], defect=d, upload=upload("screen.png", PNG))
    assert a.content_type == "image/png" and a.original_name == "screen.png"
    assert "screen" not in a.file.name and a.file.name.startswith("defects/")
    log = services.attachment_add(actor=users["tester"], defect=d, upload=upload("app.log", "错误 E1042\n".encode()))
    assert log.content_type == "text/plain"


@pytest.mark.parametrize("name,content,needle", [
    ("screen.png", b"<html><script>alert(1)</script></html>", "not image/png"),
    ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "not application/pdf"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "not an allowed type"),
    ("page.html", b"<html></html>", "not an allowed type"),
    ("screen.gif", PNG, "content is image/png"),
])
def test_disguised_or_forbidden_files_are_refused(project, users, name, content, needle):
    d = file_defect(project, users["tester"])
    with pytest.raises(DomainError) as exc:
        services.attachment_add(actor=users["tester"], defect=d, upload=upload(name, content))
    assert exc.value.field == "file" and needle in str(exc.value.message)
    assert not DefectAttachment.objects.exists()


def test_oversized_attachment_is_refused(project, users, settings):
    settings.UPLOAD_MAX_BYTES = 100
    d = file_defect(project, users["tester"])
    with pytest.raises(DomainError) as exc:
        services.attachment_add(actor=users["tester"], defect=d, upload=upload("big.log", b"x" * 101))
    assert "at most" in str(exc.value.message)
    assert not DefectAttachment.objects.exists()


# ------------------------------------------------------------------ tests and results

def test_cycle_results_pass_rate_and_prefill(project, users):
    c1, c2 = case(project, users["tester"]), case(project, users["tester"], title="Close account")
    cy = cycle(project, users["tester"])
    assert cy.results.count() == 2 and cy.status == "planned"
    c3 = case(project, users["tester"], title="Added later")  # joins the planned cycle
    assert TestResult.objects.filter(cycle=cy, case=c3).exists()
    r1 = cy.results.get(case=c1)
    services.result_record(actor=users["tester"], result=r1, status="passed")
    cy.refresh_from_db()
    assert cy.status == "running"
    r2 = cy.results.get(case=c2)
    with pytest.raises(DomainError) as exc:
        services.result_record(actor=users["tester"], result=r2, status="failed")
    assert exc.value.field == "note"
    r2 = services.result_record(actor=users["tester"], result=r2, status="failed", note="wrong balance")
    from defects import selectors

    assert selectors.pass_rate(cy) == (1, 3)
    initial = services.prefill_from_result(r2)
    assert initial["steps"] == c2.steps and initial["actual_result"] == "wrong balance"
    d = file_defect(project, users["tester"], test_result=r2)
    assert d.cycle == cy
    with pytest.raises(DomainError):
        services.result_record(actor=users["developer"], result=r1, status="failed", note="x")


def test_case_and_cycle_bad_input(project, users):
    with pytest.raises(DomainError) as exc:
        services.case_create(actor=users["tester"], project=project, title="", steps="s", expected_result="e")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        cycle(project, users["tester"], planned_start=T0.date(), planned_end=T0.date() - timedelta(days=1))
    assert exc.value.field == "planned_end"
    with pytest.raises(DomainError) as exc:
        cycle(project, users["business"])
    assert exc.value.code == "permission"
    assert not TestCycle.objects.exists()


def test_requirement_coverage_uses_latest_cycle(project, users):
    from defects import selectors

    approved, other, draft = (requirement(project, users["business"], n=1),
                              requirement(project, users["business"], n=2),
                              requirement(project, users["business"], n=3, status="draft"))
    c1 = case(project, users["tester"], requirements=[approved])
    case(project, users["tester"], requirements=[other, draft])
    old = cycle(project, users["tester"], name="old", planned_start=T0.date())
    services.result_record(actor=users["tester"], result=old.results.get(case=c1), status="passed")
    assert selectors.requirement_coverage(project)[:2] == (1, 2)
    new = cycle(project, users["tester"], name="new", planned_start=T0.date() + timedelta(days=10), status="running")
    assert selectors.latest_cycle(project) == new
    covered, total, missing = selectors.requirement_coverage(project)
    assert (covered, total) == (0, 2) and {r.pk for r in missing} == {approved.pk, other.pk}


def test_readiness_criteria(project, users):
    from readiness import registry as readiness

    file_defect(project, users["tester"], severity="critical")
    d = file_defect(project, users["tester"], severity="major")
    Defect.objects.filter(pk=d.pk).update(status="closed")
    c = case(project, users["tester"])
    cy = cycle(project, users["tester"])
    services.result_record(actor=users["tester"], result=cy.results.get(case=c), status="passed")
    result = {e.key: e for e in readiness.evaluate(project)["criteria"]}
    assert result["open_critical_defects"].result.value == 1 and not result["open_critical_defects"].passed
    assert result["open_major_defects"].passed
    assert result["latest_cycle_pass_rate"].result.value == 100.0 and result["latest_cycle_pass_rate"].passed
    assert not result["requirement_coverage"].passed  # no approved requirements yet
    project.readiness_targets = {"open_critical_defects": {"target": 1}}
    project.save()
    assert {e.key: e for e in readiness.evaluate(project)["criteria"]}["open_critical_defects"].passed


# ------------------------------------------------------------------ reminders

def test_sla_reminders_about_to_breach_and_breached(project, users):
    with freeze_time(T0):
        d = file_defect(project, users["tester"], severity="critical")  # triage due T0+4h
        services.defect_assign(actor=users["manager"], defect=d, assignee=users["developer"])
    soon = list(sla_about_to_breach(now=T0 + timedelta(hours=3)))
    assert {r.recipient for r in soon} == {users["manager"]}  # not triaged yet: the manager's move
    assert not list(sla_breached(now=T0 + timedelta(hours=3)))
    late = list(sla_breached(now=T0 + timedelta(hours=5)))
    assert {r.recipient for r in late} == {users["manager"]} and "overdue" in str(late[0].message)
    with freeze_time(T0 + timedelta(hours=5)):
        services.defect_transition(actor=users["manager"], defect=d, to="open")
    soon = list(sla_about_to_breach(now=T0 + timedelta(hours=23)))
    assert {r.recipient for r in soon} == {users["manager"], users["developer"]}
    keys = {r.dedupe_key for r in soon}
    assert keys == {r.dedupe_key for r in sla_about_to_breach(now=T0 + timedelta(hours=23, minutes=30))}
    assert REPORT["title"] in str(soon[0].message)


def test_reminder_rules_do_not_query_per_defect(project, users):
    from tests.utils import count_queries

    with freeze_time(T0):
        file_defect(project, users["tester"], severity="critical")
    _, few = count_queries(lambda: list(sla_breached(now=T0 + timedelta(hours=5))))
    with freeze_time(T0):
        for _ in range(10):
            file_defect(project, users["tester"], severity="critical")
    _, many = count_queries(lambda: list(sla_breached(now=T0 + timedelta(hours=5))))
    assert few == many


def test_reminder_rules_are_registered():
    from notifications.registry import rules

    kinds = rules()
    assert "defect_sla_soon" in kinds and "defect_sla_breached" in kinds


def test_failed_has_one_chinese_word_per_meaning():
    """One English word, three meanings: each needs its own msgctxt (needs the built catalogue)."""
    from notifications.models import EmailStatus
    from tasks.models import RunStepStatus

    with translation.override("zh-hans"):
        labels = [str(ResultStatus.FAILED.label), str(EmailStatus.FAILED.label), str(RunStepStatus.FAILED.label)]
    assert labels == ["未通过", "发送失败", "失败"]
