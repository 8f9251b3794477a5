from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from tasks import selectors, services
from tests.tasks.factories import chain, play, run, run_step, runbook, step
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def test_lists_are_limited_to_my_projects(project, users, outsider, other_project):
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 1)
    r = run(rb, users["ops"])
    assert list(selectors.run_list_for_user(user=users["staff"])) == [r]
    assert list(selectors.run_list_for_user(user=outsider)) == []
    assert list(selectors.runbook_list_for_user(user=outsider)) == []
    with pytest.raises(Http404):
        selectors.run_get_for_user(user=outsider, pk=r.pk)
    with pytest.raises(Http404):
        selectors.runbook_get_for_user(user=outsider, pk=rb.pk)


def test_workitems_grouped_by_phase_with_progress(project, users):
    a = services.workitem_create(actor=users["ops"], project=project, title="A", owner=users["ops"])
    services.workitem_create(actor=users["ops"], project=project, title="B")
    services.workitem_create(actor=users["ops"], project=project, title="C", phase="testing", owner=users["ops"])
    services.workitem_set_status(actor=users["ops"], item=a, status="done")
    groups = selectors.workitems_by_phase(project=project)
    assert [(g["phase"], g["done"], g["total"]) for g in groups] == [("preparation", 1, 2), ("testing", 0, 1)]
    mine = selectors.workitems_by_phase(project=project, owner=users["ops"])
    assert sum(g["total"] for g in mine) == 2


def test_estimates_only_from_earlier_rehearsals(project, users):
    rb = runbook(project, users["ops"])
    (a,) = chain(rb, users["ops"], 1, minutes=10)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=3)
    first = play(run(rb, users["ops"], planned_start=start), users["ops"], {"Step 1": 20})
    second = play(run(rb, users["ops"], planned_start=start + timedelta(days=1)), users["ops"], {"Step 1": 40})
    production = services.run_create(actor=users["ops"], runbook=rb, kind="production")
    estimates = selectors.rehearsal_estimates([first, second, production])
    assert estimates[first.pk] == {}
    assert estimates[second.pk] == {a.pk: 20}
    assert estimates[production.pk] == {a.pk: 30}


def test_finished_runs_forecast_from_the_cache_the_same_as_computed(project, users):
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 3, minutes=10)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=2)
    done = play(run(rb, users["ops"], planned_start=start), users["ops"], {"Step 2": 25})
    planned = services.run_create(actor=users["ops"], runbook=rb)

    def lists():
        return selectors.attach_forecasts(selectors.runs_for_project(project=project))

    def summary(runs):
        return {r.pk: (r.fc.planned_finish, r.fc.forecast_finish, list(r.fc.critical_path), r.step_total,
                       r.finished_steps, r.breaks_window) for r in runs}

    first, queries_first = count_queries(lists, warm_up=False)
    done.steps.all().delete()  # were they loaded again, the finished run would have none
    again, queries_again = count_queries(lists, warm_up=False)
    computed, cached = summary(first), summary(again)
    # The finished run from the cache the second time, exactly as computed (a planned one moves with the clock).
    assert cached[done.pk] == computed[done.pk]
    assert computed[done.pk][1] == start + timedelta(minutes=45) and computed[done.pk][3:5] == (3, 3)
    assert computed[planned.pk][3:5] == cached[planned.pk][3:5] == (3, 0)
    assert queries_again == queries_first  # the same queries: the steps of the planned run only


def test_board_ready_now_my_next_and_point_of_no_return(project, users):
    rb = runbook(project, users["ops"])
    a = step(rb, users["ops"], "Freeze", 30, owner=users["developer"])
    b = step(rb, users["ops"], "Switch network", 20, deps=[a], point_of_no_return=True, owner=users["developer"])
    r = run(rb, users["ops"])
    board = selectors.run_board(run=r, user=users["developer"], now=r.planned_start)
    assert [s.title for s in board["ready_now"]] == ["Freeze"]
    assert [s.title for s in board["my_next"]] == ["Freeze", "Switch network"]
    (ponr,) = board["ponr"]
    assert ponr["step"].source_step_id == b.pk and ponr["forecast"] == r.planned_start + timedelta(minutes=30)
    services.runstep_start(actor=users["developer"], run_step=run_step(r, a), now=r.planned_start)
    later = r.planned_start + timedelta(minutes=50)
    board = selectors.run_board(run=r, user=users["developer"], now=later)
    assert board["rows"][0]["elapsed"] == 50 and board["rows"][0]["variance"] == 20
    assert board["ponr"][0]["forecast"] == later and board["ponr"][0]["late"] == 20


def test_run_board_query_count_does_not_grow(project, users):
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 60)
    r = run(rb, users["ops"])
    r = selectors.run_get_for_user(user=users["ops"], pk=r.pk)
    _, n = count_queries(lambda: selectors.run_board(run=r, user=users["ops"]))
    assert n == 5  # the steps (lean, then those shown), the rehearsal durations, the contingency plan, the open issues


def test_board_rollback_deadline_from_the_contingency_plan(project, users):
    rb = runbook(project, users["ops"])
    a = step(rb, users["ops"], "Migrate", 60 * 9 + 30)
    step(rb, users["ops"], "Switch network", 20, deps=[a], point_of_no_return=True)
    rollback = runbook(project, users["ops"], name="Rollback", kind="rollback")
    chain(rollback, users["ops"], 3, minutes=60)
    services.plan_save(actor=users["ops"], project=project, rollback_criteria="x", rollback_runbook=rollback)
    r = services.run_create(actor=users["ops"], runbook=rb, kind="production")
    r = selectors.run_get_for_user(user=users["ops"], pk=r.pk)
    board = selectors.run_board(run=r, user=users["ops"], now=r.planned_start)
    assert board["rollback_minutes"] == 180
    assert board["rollback_deadline"] == r.window_end - timedelta(minutes=180)
    # 12 h window: the point of no return starts after 9.5 h, later than window end − 3 h.
    assert board["ponr_after_deadline"]
    _, n = count_queries(lambda: selectors.run_board(run=r, user=users["ops"]))
    assert n == 7  # + the rollback runbook's steps and their dependencies


def test_board_of_a_production_run_before_and_after_its_first_step(project, users):
    ops = users["ops"]
    rb = runbook(project, ops)
    a = step(rb, ops, "Freeze", 30)
    step(rb, ops, "Switch network", 20, deps=[a], point_of_no_return=True)
    r = services.run_create(actor=ops, runbook=rb, kind="production")
    r = selectors.run_get_for_user(user=ops, pk=r.pk)
    board = selectors.run_board(run=r, user=ops, now=project.window_start - timedelta(days=36))
    assert board["opens_at"] == project.window_start and board["confirm_start"]
    assert board["plan_start"] == r.planned_start and board["start_shift"] == 0
    assert selectors.run_board(run=r, user=ops, now=project.window_start)["opens_at"] is None

    started = project.window_start + timedelta(minutes=40)  # forty minutes late
    services.runstep_start(actor=ops, run_step=run_step(r, a), now=started)
    r = selectors.run_get_for_user(user=ops, pk=r.pk)
    board = selectors.run_board(run=r, user=ops, now=started + timedelta(minutes=10))
    assert r.status == "running" and board["opens_at"] is None and not board["confirm_start"]
    # Everything counts from the actual start, and the board names it.
    assert board["plan_start"] == started and board["start_shift"] == 40
    assert board["forecast"].planned_finish == started + timedelta(minutes=50)
    assert board["forecast"].forecast_finish == started + timedelta(minutes=50)
    assert board["slack"] == round((r.window_end - started - timedelta(minutes=50)).total_seconds() / 60)
    assert board["ponr"][0]["forecast"] == started + timedelta(minutes=30) and not board["ponr"][0]["passed"]
    # The running step is listed as running, not counted as ready.
    assert board["ready_now"] == [] and [s.title for s in board["running"]] == ["Freeze"]


def test_a_long_run_board_shows_its_focus_and_all_steps_a_page_at_a_time(project, users, settings):
    ops = users["ops"]
    rb = runbook(project, ops)
    steps = chain(rb, ops, selectors.BOARD_ALL_STEPS + 70, minutes=5)  # one long chain: all critical
    step(rb, ops, "Switch network", 5, deps=[steps[-1]], point_of_no_return=True)
    r = run(rb, ops)
    for s in steps[:3]:
        services.runstep_start(actor=ops, run_step=run_step(r, s), now=r.planned_start)
        services.runstep_complete(actor=ops, run_step=run_step(r, s), now=r.planned_start + timedelta(minutes=5))
    r = selectors.run_get_for_user(user=ops, pk=r.pk)
    board = selectors.run_board(run=r, user=ops)
    total = selectors.BOARD_ALL_STEPS + 71
    assert board["windowed"] and board["show"] == "focus" and board["total"] == total
    titles = [row["step"].title for row in board["rows"]]
    # The latest finished, the one ready, the next on the critical path, the point of no return.
    assert titles[:4] == ["Step 1", "Step 2", "Step 3", "Step 4"]
    assert "Switch network" in titles and len(titles) <= 4 + selectors.BOARD_NEXT_CRITICAL + 5 + 1
    assert [s.title for s in board["ready_now"]] == ["Step 4"] and board["finished"] == 3
    # The forecast still counts every step.
    assert board["forecast"].forecast_finish >= r.planned_start + timedelta(minutes=5 * (total - 3))

    page2 = selectors.run_board(run=r, user=ops, show="all", page=2)
    assert page2["steps_page"].number == 2 and len(page2["rows"]) == total - selectors.BOARD_PAGE
    assert page2["rows"][0]["position"] == selectors.BOARD_PAGE + 1
    _, n = count_queries(lambda: selectors.run_board(run=r, user=ops, show="all", page=1))
    assert n == 5


def test_a_short_run_board_lists_every_step(project, users):
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 12)
    r = selectors.run_get_for_user(user=users["ops"], pk=run(rb, users["ops"]).pk)
    board = selectors.run_board(run=r, user=users["ops"], show="all")
    assert not board["windowed"] and board["steps_page"] is None and len(board["rows"]) == 12


def test_runbook_duration_is_its_critical_path_and_effort_the_sum_whatever_the_runs(project, users):
    ops = users["ops"]
    rb = runbook(project, ops)
    a = step(rb, ops, "Back up", 30)
    step(rb, ops, "Notify branches", 20)  # in parallel with the backup
    step(rb, ops, "Migrate", 60, deps=[a])
    for _ in range(3):
        run(rb, ops)
    runbook(project, ops, name="Empty")
    _, n = count_queries(lambda: selectors.runbooks_for_project(project=project))
    by_name = {r.name: r for r in selectors.runbooks_for_project(project=project)}
    cutover = by_name[rb.name]
    assert (cutover.duration_minutes, cutover.effort_minutes, cutover.step_count, cutover.run_count) == (90, 110, 3, 3)
    assert (by_name["Empty"].duration_minutes, by_name["Empty"].effort_minutes) == (0, 0)
    assert n == 3


def test_minutes_are_shown_as_people_say_them():
    from projects.templatetags.liftoff import minutes
    assert [minutes(v) for v in (0, 45, 60, 505, 3000)] == ["0 min", "45 min", "1 h", "8 h 25 min", "2 d 2 h"]
