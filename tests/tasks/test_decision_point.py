"""One truth for the point of no return and the decide-by time: computed once
(tasks.forecast.decision_point through tasks.selectors.run_decision_point) and shown the same on the
run's board, the contingency plan and the runs API."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tasks import selectors, services
from tasks.forecast import Node, decision_point, schedule
from tests.tasks.factories import chain, run, run_step, runbook, step
from tests.utils import api_as

T0 = datetime(2026, 3, 7, 22, 0, tzinfo=UTC)


def _plan(nodes):
    return schedule(nodes, planned_start=T0, now=T0)


def _nodes(ponr_status="pending"):
    return [Node(id=1, deps=[], planned_minutes=60), Node(id=2, deps=[1], planned_minutes=30,
                                                          point_of_no_return=True, status=ponr_status),
            Node(id=3, deps=[2], planned_minutes=60)]


# ----- the pure function ------------------------------------------------------------------------


def test_the_point_of_no_return_is_the_marked_steps_start_and_binds_when_earliest():
    nodes = _nodes()
    point = decision_point(_plan(nodes), nodes, window_end=T0 + timedelta(hours=8), rollback_minutes=120)
    assert point.step_id == 2 and point.planned == point.forecast == T0 + timedelta(minutes=60)
    assert point.rollback_deadline == T0 + timedelta(hours=6)
    assert point.decide_by == point.decide_by_planned == T0 + timedelta(minutes=60) and point.reason == "ponr"
    assert not point.late and not point.passed


def test_the_rollback_deadline_binds_when_a_rollback_would_no_longer_fit():
    nodes = _nodes()
    point = decision_point(_plan(nodes), nodes, window_end=T0 + timedelta(hours=2), rollback_minutes=90)
    assert point.rollback_deadline == T0 + timedelta(minutes=30)
    assert point.decide_by == T0 + timedelta(minutes=30) and point.reason == "rollback" and point.late


def test_the_agreed_time_binds_when_earliest_and_nothing_is_left_once_passed():
    nodes = _nodes()
    agreed = T0 + timedelta(minutes=45)
    point = decision_point(_plan(nodes), nodes, window_end=T0 + timedelta(hours=8), agreed=agreed)
    assert point.decide_by == agreed and point.reason == "agreed" and point.late
    passed = _nodes(ponr_status="done")
    point = decision_point(_plan(passed), passed, window_end=T0 + timedelta(hours=8), agreed=agreed)
    assert point.passed and point.decide_by is None and point.decide_by_planned == agreed


def test_without_a_marked_step_or_rollback_nothing_limits_the_decision():
    nodes = [Node(id=1, deps=[], planned_minutes=60)]
    point = decision_point(_plan(nodes), nodes, window_end=T0 + timedelta(hours=8))
    assert point.step_id is None and point.decide_by is None and not point.exists


# ----- the pages and the API show the same ------------------------------------------------------


@pytest.fixture
def cutover(db, project, users):
    """A production run whose point of no return is forecast later than planned (a slow rehearsal),
    with a contingency plan that names a rollback runbook and an agreed decision time."""
    ops = users["ops"]
    rb = runbook(project, ops)
    a = step(rb, ops, "Migrate balances", 120)
    b = step(rb, ops, "Switch network", 20, deps=[a], point_of_no_return=True)
    rollback = runbook(project, ops, name="Rollback", kind="rollback")
    chain(rollback, ops, 2, minutes=60)
    rehearsal = run(rb, ops, planned_start=project.window_start - timedelta(days=7))
    services.runstep_start(actor=ops, run_step=run_step(rehearsal, a), now=rehearsal.planned_start)
    services.runstep_complete(actor=ops, run_step=run_step(rehearsal, a),
                              now=rehearsal.planned_start + timedelta(minutes=200))
    services.runstep_start(actor=ops, run_step=run_step(rehearsal, b), now=rehearsal.planned_start + timedelta(
        minutes=200))
    services.runstep_complete(actor=ops, run_step=run_step(rehearsal, b),
                              now=rehearsal.planned_start + timedelta(minutes=220))
    services.plan_save(actor=ops, project=project, rollback_criteria="Balances differ", rollback_runbook=rollback,
                       point_of_no_return_at=project.window_start + timedelta(hours=5))
    production = services.run_create(actor=ops, runbook=rb, kind="production")
    return production


def _decision_fragment(html):
    """The decide-by line and the point-of-no-return time of the shared include, as text."""
    ponr = re.search(r'class="kpi small ponr-at">([^<]+)<', html).group(1)
    decide = re.search(r"Decide by ([0-9: -]+)</strong>", html).group(1)
    return ponr.strip(), decide.strip()


def test_contingency_page_and_board_show_the_same_times_for_the_same_run(client, cutover, project, users):
    assert selectors.decision_run(project=project) == cutover  # the rehearsal is finished: the go-live is next
    client.force_login(users["staff"])
    board = client.get(reverse("tasks:run", args=[project.pk, cutover.pk])).content.decode()
    plan_page = client.get(reverse("tasks:contingency", args=[project.pk])).content.decode()
    assert _decision_fragment(board) == _decision_fragment(plan_page)
    # …and they are the forecast (the rehearsal's 200 minutes, not the plan's 120), not a typed-in time.
    ponr, decide = _decision_fragment(plan_page)
    expected = cutover.planned_start + timedelta(minutes=200)
    from django.utils import timezone

    assert ponr == timezone.localtime(expected).strftime("%m-%d %H:%M") == decide
    assert reverse("tasks:run", args=[project.pk, cutover.pk]) in plan_page


def test_the_runs_api_gives_the_same_point_of_no_return_and_decide_by(cutover, project, users):
    board = selectors.run_board(run=selectors.run_get_for_user(user=users["ops"], pk=cutover.pk), user=users["ops"])
    d = board["decision"]
    data = api_as(users["staff"]).get(f"/api/v1/runs/{cutover.pk}/").json()
    listed = api_as(users["staff"]).get(f"/api/v1/runs/?project={project.pk}&kind=production").json()["results"][0]
    for row in (data, listed):
        assert row["point_of_no_return"]["step"] == d.step_id and row["point_of_no_return"]["passed"] is False
        assert _parse(row["point_of_no_return"]["forecast"]) == d.forecast
        assert _parse(row["point_of_no_return"]["planned"]) == d.planned
        assert _parse(row["decide_by"]) == d.decide_by


def test_a_rehearsal_ignores_the_agreed_time_of_the_go_live_night(cutover, project, users):
    rb = cutover.runbook
    later = run(rb, users["ops"], planned_start=project.window_start + timedelta(days=3))
    board = selectors.run_board(run=selectors.run_get_for_user(user=users["ops"], pk=later.pk), user=users["ops"])
    assert board["decision"].agreed is None
    production = selectors.run_board(run=selectors.run_get_for_user(user=users["ops"], pk=cutover.pk),
                                     user=users["ops"])
    assert production["decision"].agreed == project.window_start + timedelta(hours=5)


def test_contingency_page_without_any_run_says_so(client, project, users):
    services.plan_save(actor=users["ops"], project=project, rollback_criteria="x")
    client.force_login(users["ops"])
    body = client.get(reverse("tasks:contingency", args=[project.pk])).content.decode()
    assert "No cutover run yet" in body


def _parse(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
