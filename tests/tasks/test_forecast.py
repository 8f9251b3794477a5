from datetime import UTC, datetime, timedelta

import pytest

from tasks.forecast import CycleError, Node, find_cycle, schedule, topological_order

T0 = datetime(2027, 1, 2, 20, 0, tzinfo=UTC)


def m(n):
    return timedelta(minutes=n)


def diamond(**kw):
    # a(10) → b(30) → d(5); a → c(20) → d
    return [Node(1, [], 10, order=1, **kw), Node(2, [1], 30, order=2), Node(3, [1], 20, order=3),
            Node(4, [2, 3], 5, order=4)]


def test_critical_path_is_the_longest_path():
    fc = schedule(diamond(), planned_start=T0, now=T0)
    assert fc.critical_path == [1, 2, 4]
    assert fc.planned_finish == T0 + m(45)
    assert fc.forecast_finish == T0 + m(45)


def test_ties_pick_the_step_earliest_in_the_runbook():
    nodes = [Node(1, [], 10, order=1), Node(2, [1], 20, order=2), Node(3, [1], 20, order=3), Node(4, [3, 2], 5, order=4)]
    fc = schedule(nodes, planned_start=T0, now=T0)
    assert fc.critical_path == [1, 2, 4]


def test_forecast_uses_actuals_of_done_steps_and_estimates_for_the_rest():
    nodes = diamond()
    nodes[0].status, nodes[0].actual_start, nodes[0].actual_end = "done", T0, T0 + m(40)  # 30 min late
    nodes[2].estimate_minutes = 60  # rehearsals say c takes an hour
    fc = schedule(nodes, planned_start=T0, now=T0 + m(40))
    assert fc.forecast_finish == T0 + m(40 + 60 + 5)
    assert fc.critical_path == [1, 3, 4]
    assert fc.planned_finish == T0 + m(45)  # the plan does not move


def test_running_step_forecasts_at_least_now():
    nodes = [Node(1, [], 10, status="running", actual_start=T0), Node(2, [1], 10)]
    fc = schedule(nodes, planned_start=T0, now=T0 + m(25))
    assert fc.forecast[1].finish == T0 + m(25)
    assert fc.forecast_finish == T0 + m(35)


def test_skipped_steps_take_no_time():
    nodes = diamond()
    nodes[1].status = "skipped"
    fc = schedule(nodes, planned_start=T0, now=T0)
    assert fc.forecast_finish == T0 + m(10 + 20 + 5)
    assert fc.critical_path == [1, 3, 4]


def test_pending_steps_cannot_start_before_now():
    fc = schedule(diamond(), planned_start=T0, now=T0 + m(60))
    assert fc.forecast_finish == T0 + m(60 + 45)


def test_cycle_is_found_and_named():
    assert find_cycle({1: [3], 2: [1], 3: [2]}) in ([1, 2, 3, 1], [2, 3, 1, 2], [3, 1, 2, 3],
                                                      [1, 3, 2, 1], [3, 2, 1, 3], [2, 1, 3, 2])
    assert find_cycle({1: [], 2: [1], 3: [1, 2]}) is None
    with pytest.raises(CycleError):
        topological_order([Node(1, [2], 1), Node(2, [1], 1)])


def test_empty_runbook():
    fc = schedule([], planned_start=T0, now=T0)
    assert fc.planned_finish == T0 and fc.critical_path == []


def test_two_thousand_steps_chain_gives_exact_finish():
    # A pure chain: the forecast is the sum of the durations, whatever the size (speed is measured
    # by scripts/bench_forecast.py, not asserted here).
    nodes = [Node(i, [i - 1] if i else [], 5, order=i) for i in range(2000)]
    fc = schedule(nodes, planned_start=T0, now=T0)
    assert fc.planned_finish == T0 + m(5 * 2000)
    assert fc.critical_path == list(range(2000))
