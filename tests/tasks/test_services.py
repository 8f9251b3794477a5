from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from freezegun import freeze_time
from openpyxl import Workbook

from notifications.models import Notification
from projects.errors import DomainError
from tasks import excel, selectors, services
from tasks.models import CheckStatus, PlanStatus, RunStatus, RunStepStatus, Step, WorkItemStatus
from tests.projects.factories import member
from tests.tasks.factories import chain, play, run, run_step, runbook, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def rb(project, users):
    return runbook(project, users["ops"])


# ---------------------------------------------------------------- DAG

def test_dependency_cycle_is_refused_naming_the_cycle(rb, users):
    a, b, c = chain(rb, users["ops"], 3)
    with pytest.raises(DomainError) as exc:
        services.step_update(actor=users["ops"], step=a, depends_on=[c])
    message = str(exc.value.message)
    assert "cycle" in message and "“Step 1”" in message and "“Step 2”" in message and "“Step 3”" in message
    assert exc.value.extra["cycle"][0] == exc.value.extra["cycle"][-1]
    assert list(a.depends_on.all()) == []  # nothing saved


def test_step_cannot_depend_on_itself_or_another_runbook(rb, project, users):
    a = step(rb, users["ops"], "A")
    with pytest.raises(DomainError, match="itself"):
        services.step_update(actor=users["ops"], step=a, depends_on=[a])
    other = step(runbook(project, users["ops"], name="Other"), users["ops"], "X")
    with pytest.raises(DomainError, match="another runbook"):
        step(rb, users["ops"], "B", deps=[other])
    assert not rb.steps.filter(title="B").exists()


def test_step_owner_must_be_a_member(rb, users, outsider):
    with pytest.raises(DomainError, match="not a member"):
        step(rb, users["ops"], "A", owner=outsider)


def test_bad_minutes_and_category_refused(rb, users):
    with pytest.raises(DomainError):
        step(rb, users["ops"], "A", minutes=-1)
    with pytest.raises(DomainError, match="category"):
        step(rb, users["ops"], "A", category="party")
    assert rb.steps.count() == 0


def test_step_move_reorders(rb, users):
    a, b, c = chain(rb, users["ops"], 3)
    services.step_move(actor=users["ops"], step=c, direction="up")
    assert [s.title for s in rb.steps.order_by("order")] == ["Step 1", "Step 3", "Step 2"]


# ---------------------------------------------------------------- runs and the state machine

def test_run_snapshots_the_runbook(rb, users):
    a, b = chain(rb, users["ops"], 2)
    b_pk = b.pk
    r = run(rb, users["ops"])
    services.step_update(actor=users["ops"], step=a, title="Renamed", planned_minutes=99)
    step(rb, users["ops"], "Added later")
    services.step_delete(actor=users["ops"], step=b)
    titles = list(r.steps.order_by("order").values_list("title", "planned_minutes", "depends_on"))
    assert titles == [("Step 1", 10, []), ("Step 2", 10, [a.pk])]
    assert run_step(r, a).status == RunStepStatus.READY
    assert r.steps.get(source_step_id=b_pk).status == RunStepStatus.PENDING


def test_run_of_empty_runbook_refused(rb, users):
    with pytest.raises(DomainError, match="Add steps"):
        run(rb, users["ops"])


def test_production_run_uses_project_window(rb, project, users):
    chain(rb, users["ops"], 1)
    r = services.run_create(actor=users["ops"], runbook=rb, kind="production")
    assert r.planned_start == project.window_start and r.window_end == project.window_end
    with pytest.raises(DomainError, match="production run"):
        services.run_create(actor=users["ops"], runbook=rb, kind="production")


def test_start_only_when_ready_complete_only_when_running(rb, users):
    a, b = chain(rb, users["ops"], 2)
    r = run(rb, users["ops"])
    with pytest.raises(DomainError, match="waits for “Step 1”"):
        services.runstep_start(actor=users["ops"], run_step=run_step(r, b))
    with pytest.raises(DomainError, match="Only a running step"):
        services.runstep_complete(actor=users["ops"], run_step=run_step(r, a))
    services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    r.refresh_from_db()
    assert r.status == RunStatus.RUNNING and r.started_at
    with pytest.raises(DomainError, match="Only a ready step"):
        services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    services.runstep_complete(actor=users["ops"], run_step=run_step(r, a))
    assert run_step(r, b).status == RunStepStatus.READY


def test_step_becoming_ready_notifies_its_owner_once(rb, users, django_capture_on_commit_callbacks):
    dev = users["developer"]
    a = step(rb, users["ops"], "Stop batch jobs")
    b = step(rb, users["ops"], "Deploy", deps=[a], owner=dev)
    r = run(rb, users["ops"])
    services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    with django_capture_on_commit_callbacks() as callbacks:
        services.runstep_complete(actor=users["ops"], run_step=run_step(r, a))
    notes = Notification.objects.filter(recipient=dev, kind="runstep_ready")
    assert notes.count() == 1 and "Deploy" in notes.get().message
    assert len(callbacks) == 1  # delivery queued after commit
    assert run_step(r, b).status == RunStepStatus.READY


def test_ready_notification_is_in_the_owners_language(rb, users):
    from notifications.services import preference_update

    dev = users["developer"]
    preference_update(actor=dev, user=dev, language="zh-hans")
    a = step(rb, users["ops"], "Stop batch jobs")
    step(rb, users["ops"], "Deploy", deps=[a], owner=dev)
    r = run(rb, users["ops"])
    services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    services.runstep_complete(actor=users["ops"], run_step=run_step(r, a))
    message = Notification.objects.get(recipient=dev, kind="runstep_ready").message
    assert "您负责的步骤“Deploy”现在可以开始了" in message and "演练 #1" in message


def test_run_finishes_when_every_step_is_done_or_skipped(rb, users):
    a, b = chain(rb, users["ops"], 2)
    r = run(rb, users["ops"])
    services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    services.runstep_complete(actor=users["ops"], run_step=run_step(r, a))
    services.runstep_skip(actor=users["manager"], run_step=run_step(r, b), reason="Not needed this time")
    r.refresh_from_db()
    assert r.status == RunStatus.FINISHED and r.finished_at


def test_fail_needs_note_flags_run_and_allows_retry(rb, users):
    (a,) = chain(rb, users["ops"], 1)
    r = run(rb, users["ops"])
    rs = run_step(r, a)
    services.runstep_start(actor=users["ops"], run_step=rs)
    with pytest.raises(DomainError, match="needs a note"):
        services.runstep_fail(actor=users["ops"], run_step=rs, note="  ")
    assert run_step(r, a).status == RunStepStatus.RUNNING
    services.runstep_fail(actor=users["ops"], run_step=rs, note="Disk full")
    r.refresh_from_db()
    assert r.flagged_at and "Disk full" in r.flag_note
    assert Notification.objects.filter(recipient=users["manager"], kind="runstep_failed").exists()
    services.runstep_start(actor=users["ops"], run_step=rs)
    assert run_step(r, a).attempts == 2


def test_state_machine_per_role(rb, users):
    dev = users["developer"]
    mine = step(rb, users["ops"], "Deploy", owner=dev)
    theirs = step(rb, users["ops"], "Migrate")
    r = run(rb, users["ops"])
    services.runstep_start(actor=dev, run_step=run_step(r, mine))  # owner executes their step
    with pytest.raises(PermissionDenied):
        services.runstep_start(actor=dev, run_step=run_step(r, theirs))
    for role in ("tester", "business", "staff", "trainer"):
        with pytest.raises(PermissionDenied):
            services.runstep_start(actor=users[role], run_step=run_step(r, theirs))
    with pytest.raises(PermissionDenied):
        services.runstep_skip(actor=users["ops"], run_step=run_step(r, theirs), reason="x")
    services.runstep_skip(actor=users["manager"], run_step=run_step(r, theirs), reason="Done manually")
    with pytest.raises(DomainError, match="reason"):
        services.runstep_skip(actor=users["manager"], run_step=run_step(r, mine), reason="")


def test_checkpoint_needs_manager_decision_with_comment(rb, users):
    cp = step(rb, users["ops"], "Go/no-go", checkpoint=True)
    r = run(rb, users["ops"])
    rs = run_step(r, cp)
    services.runstep_start(actor=users["ops"], run_step=rs)
    with pytest.raises(PermissionDenied):
        services.runstep_complete(actor=users["ops"], run_step=rs, decision="go", note="fine")
    with pytest.raises(DomainError, match="go or no-go"):
        services.runstep_complete(actor=users["manager"], run_step=rs)
    with pytest.raises(DomainError, match="comment"):
        services.runstep_complete(actor=users["manager"], run_step=rs, decision="go")
    services.runstep_complete(actor=users["manager"], run_step=rs, decision="no_go", note="Balances differ")
    rs.refresh_from_db()
    assert rs.status == RunStepStatus.FAILED and rs.decision == "no_go"


# ---------------------------------------------------------------- forecast from rehearsals

def test_forecast_uses_median_of_earlier_rehearsals(rb, users):
    a, b = chain(rb, users["ops"], 2, minutes=30)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=10)
    play(run(rb, users["ops"], planned_start=start), users["ops"], {"Step 1": 50})
    play(run(rb, users["ops"], planned_start=start + timedelta(days=1)), users["ops"], {"Step 1": 70})
    later = run(rb, users["ops"], planned_start=start + timedelta(days=20))
    board = selectors.run_board(run=later, user=users["ops"], now=later.planned_start)
    assert board["forecast"].planned_finish == later.planned_start + timedelta(minutes=60)
    assert board["forecast"].forecast_finish == later.planned_start + timedelta(minutes=60 + 30)
    assert board["forecast"].critical_path == [a.pk, b.pk]


def test_board_warns_when_forecast_breaks_window(rb, project, users):
    chain(rb, users["ops"], 2, minutes=60)
    r = run(rb, users["ops"])
    window = (r.window_end - r.planned_start)
    board = selectors.run_board(run=r, user=users["ops"], now=r.planned_start + window - timedelta(minutes=30))
    assert board["breaks_window"] and board["over"] == 90


def test_adopt_rehearsal_median(rb, users):
    a, b = chain(rb, users["ops"], 2, minutes=30)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=5)
    play(run(rb, users["ops"], planned_start=start), users["ops"], {"Step 1": 40})
    play(run(rb, users["ops"], planned_start=start + timedelta(days=1)), users["ops"], {"Step 1": 50})
    comparison = selectors.rehearsal_comparison(runbook=rb)
    assert comparison["rows"][0]["always_over"] and not comparison["rows"][1]["always_over"]
    assert services.steps_adopt_rehearsal_median(actor=users["ops"], runbook=rb, step_ids=[a.pk]) == 1
    a.refresh_from_db()
    assert a.planned_minutes == 45


# ---------------------------------------------------------------- reconciliation

def test_reconciliation_status(rb, users):
    chain(rb, users["ops"], 1)
    r = run(rb, users["ops"])
    ok = services.check_create(actor=users["ops"], run=r, entity="balances", source_count=10, target_count=10,
                               source_total="100.00", target_total="100.40", tolerance="0.50")
    assert ok.status == CheckStatus.MATCH and ok.total_difference == Decimal("0.40")
    bad = services.check_create(actor=users["ops"], run=r, entity="accounts", source_count=10, target_count=9)
    assert bad.status == CheckStatus.MISMATCH and bad.count_difference == -1
    assert not selectors.reconciliation_clean(selectors.checks_for_run(run=r))
    services.check_update(actor=users["ops"], check=bad, target_count=10)
    assert selectors.reconciliation_clean(selectors.checks_for_run(run=r))
    with pytest.raises(DomainError, match="already has a check"):
        services.check_create(actor=users["ops"], run=r, entity="accounts", source_count=1, target_count=1)
    with pytest.raises(DomainError, match="amount"):
        services.check_create(actor=users["ops"], run=r, entity="loans", source_count=1, target_count=1,
                              source_total="abc")
    with freeze_time("2027-01-01 12:00"):
        services.check_confirm_backup(actor=users["ops"], check=ok)
    ok.refresh_from_db()
    assert ok.backup_confirmed_by == users["ops"] and ok.backup_confirmed_at.year == 2027


# ---------------------------------------------------------------- Excel

def _xlsx(rows, header=("title", "category", "owner", "minutes", "depends on")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_excel_round_trip(rb, project, users):
    a = step(rb, users["ops"], "Stop batch", 15, owner=users["ops"])
    step(rb, users["ops"], "Backup", 30, deps=[a], category="data_migration")
    data = excel.export_steps(selectors.runbook_steps(runbook=rb))
    target = runbook(project, users["ops"], name="Copy")
    created = services.steps_import(actor=users["ops"], runbook=target, rows=excel.read_rows(BytesIO(data)))
    assert [(s.title, s.category, s.owner, s.planned_minutes) for s in created] == [
        ("Stop batch", "deployment", users["ops"], 15), ("Backup", "data_migration", None, 30)]
    assert list(created[1].depends_on.values_list("title", flat=True)) == ["Stop batch"]


def test_excel_import_all_or_nothing_with_row_errors(rb, users):
    rows = excel.read_rows(_xlsx([
        ("Stop batch", "deployment", users["ops"].username, 10, ""),
        ("", "deployment", "", 10, ""),
        ("Migrate", "magic", "nobody", "ten", "Unknown step"),
    ]))
    with pytest.raises(DomainError) as exc:
        services.steps_import(actor=users["ops"], runbook=rb, rows=rows)
    errors = exc.value.extra["errors"]
    assert [e["row"] for e in errors] == [3, 4]
    assert "title is empty" in errors[0]["message"]
    for bit in ("unknown category", "nobody", "minutes", "Unknown step"):
        assert bit in errors[1]["message"]
    assert rb.steps.count() == 0


def test_excel_bad_file_and_header(rb):
    with pytest.raises(DomainError, match="not an Excel"):
        excel.read_rows(BytesIO(b"not a workbook"))
    with pytest.raises(DomainError, match="header"):
        excel.read_rows(_xlsx([("x",)], header=("name",)))


# ---------------------------------------------------------------- work items and the plan

def test_work_item_blocked_needs_reason(project, users):
    item = services.workitem_create(actor=users["ops"], project=project, title="UPS test", owner=users["ops"])
    with pytest.raises(DomainError, match="blocks"):
        services.workitem_set_status(actor=users["ops"], item=item, status=WorkItemStatus.BLOCKED)
    item = services.workitem_set_status(actor=users["ops"], item=item, status="blocked", reason="Vendor late")
    assert item.blocked_reason == "Vendor late"
    item = services.workitem_set_status(actor=users["ops"], item=item, status="done")
    assert item.done_at and item.blocked_reason == ""


def test_contingency_plan_four_eyes_and_frozen(project, users):
    pm, biz = users["manager"], users["business"]
    plan = services.plan_save(actor=users["ops"], project=project, rollback_criteria="Balances differ")
    with pytest.raises(PermissionDenied):
        services.plan_approve(actor=users["ops"], plan=plan, as_role="manager")
    services.plan_approve(actor=pm, plan=plan, as_role="manager")
    member(project, "business", user=pm)
    both = type(pm).objects.get(pk=pm.pk)  # a fresh object: roles are cached per user object (per request)
    with pytest.raises(DomainError, match="second person"):
        services.plan_approve(actor=both, plan=plan, as_role="business")
    plan = services.plan_approve(actor=biz, plan=plan, as_role="business")
    assert plan.status == PlanStatus.APPROVED
    with pytest.raises(DomainError, match="frozen"):
        services.plan_save(actor=pm, project=project, rollback_criteria="Changed")


def test_editing_plan_clears_approvals(project, users):
    plan = services.plan_save(actor=users["ops"], project=project, rollback_criteria="A")
    services.plan_approve(actor=users["manager"], plan=plan, as_role="manager")
    plan = services.plan_save(actor=users["ops"], project=project, rollback_criteria="B")
    assert plan.manager_approved_by is None and plan.status == PlanStatus.DRAFT


def test_step_delete_keeps_runs(rb, users):
    (a,) = chain(rb, users["ops"], 1)
    a_pk = a.pk
    r = run(rb, users["ops"])
    services.step_delete(actor=users["ops"], step=a)
    assert not Step.objects.filter(pk=a_pk).exists() and r.steps.count() == 1


def test_workitem_update_writes_only_what_changed(project, users):
    item = services.workitem_create(actor=users["ops"], project=project, title="Freeze payments")
    before = item.history.count()
    services.workitem_update(actor=users["ops"], item=item)  # an empty PATCH
    assert item.history.count() == before
    item = services.workitem_update(actor=users["ops"], item=item, title="Freeze payments at 18:00")
    item.refresh_from_db()
    assert item.title == "Freeze payments at 18:00" and item.history.count() == before + 1
    assert item.history.first().history_user == users["ops"]


# ---------------------------------------------------------------- the production window

def _production(rb, users, **kwargs):
    return services.run_create(actor=users["ops"], runbook=rb, kind="production", **kwargs)


def test_production_step_cannot_start_before_the_window_opens(rb, project, users):
    a, _b = chain(rb, users["ops"], 2)
    r = _production(rb, users)
    first = run_step(r, a)
    for early in (project.window_start - timedelta(days=36), project.window_start - timedelta(minutes=1)):
        with pytest.raises(DomainError) as exc:
            services.runstep_start(actor=users["manager"], run_step=first, now=early)
        message = str(exc.value.message)
        assert "window opens on" in message and "rehearsal" in message
        assert timezone.localtime(project.window_start).strftime("%Y-%m-%d %H:%M") in message
        assert exc.value.extra["window_opens_at"] == project.window_start.isoformat()
    r.refresh_from_db()
    first.refresh_from_db()
    assert r.status == RunStatus.PLANNED and r.started_at is None  # nothing changed
    assert first.status == RunStepStatus.READY and first.actual_start is None and first.attempts == 0
    assert first.started_by is None


def test_production_run_starts_when_the_window_opens(rb, project, users):
    a, b = chain(rb, users["ops"], 2)
    r = _production(rb, users)
    opens = project.window_start
    services.runstep_start(actor=users["manager"], run_step=run_step(r, a), now=opens)
    r.refresh_from_db()
    assert r.status == RunStatus.RUNNING and r.started_at == opens
    assert run_step(r, a).status == RunStepStatus.RUNNING and run_step(r, a).actual_start == opens
    services.runstep_complete(actor=users["manager"], run_step=run_step(r, a), now=opens + timedelta(minutes=10))
    services.runstep_start(actor=users["manager"], run_step=run_step(r, b), now=opens + timedelta(minutes=11))
    assert run_step(r, b).status == RunStepStatus.RUNNING


def test_production_run_waits_for_the_project_window_whatever_its_planned_start(rb, project, users):
    (a,) = chain(rb, users["ops"], 1)
    # Planned for "now", weeks before the window: still waits for the window.
    r = _production(rb, users, planned_start=timezone.now().replace(second=0, microsecond=0))
    with pytest.raises(DomainError, match="window opens on"):
        services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    assert run_step(r, a).status == RunStepStatus.READY
    # The go-live moved two days earlier after the run was created: the project's window counts.
    opens = project.window_start - timedelta(days=2)
    type(project).objects.filter(pk=project.pk).update(window_start=opens)
    services.runstep_start(actor=users["ops"], run_step=run_step(r, a), now=opens)
    r.refresh_from_db()
    assert r.status == RunStatus.RUNNING and r.started_at == opens


def test_rehearsal_starts_at_once_whatever_its_planned_start(rb, project, users):
    (a,) = chain(rb, users["ops"], 1)
    r = run(rb, users["ops"], planned_start=project.window_start + timedelta(days=3))
    services.runstep_start(actor=users["ops"], run_step=run_step(r, a))
    r.refresh_from_db()
    assert r.status == RunStatus.RUNNING and r.started_at <= timezone.now()
