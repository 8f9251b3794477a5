from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from projects import selectors
from tests.projects.factories import MilestoneFactory, ProjectFactory, ResponsibilityFactory, ShiftFactory, member

pytestmark = pytest.mark.django_db


def dt(h):
    return timezone.make_aware(datetime(2030, 1, 1)) + timedelta(hours=h)


def test_coverage_gaps_merges_overlaps_and_finds_holes():
    gaps = selectors.coverage_gaps(intervals=[(dt(0), dt(5)), (dt(4), dt(8)), (dt(10), dt(12))], start=dt(0),
                                   end=dt(14))
    assert gaps == [(dt(8), dt(10)), (dt(12), dt(14))]
    assert selectors.coverage_gaps(intervals=[], start=dt(0), end=dt(1)) == [(dt(0), dt(1))]
    assert selectors.coverage_gaps(intervals=[(dt(-2), dt(3))], start=dt(0), end=dt(3)) == []


def test_rota_gaps_cover_window_to_hypercare_end():
    project = ProjectFactory(hypercare_days=1)
    ops = member(project, "ops")
    ShiftFactory(project=project, user=ops, starts_at=project.window_start, ends_at=project.hypercare_end)
    assert selectors.rota_gaps(project=project) == []


def local(y, m, d, h=0):
    return timezone.make_aware(datetime(y, m, d, h))


def test_rota_week_lists_only_the_weeks_gaps_clipped_to_it():
    # Cutover window opens Wed 2030-01-09 10:00, hypercare ends Wed 2030-01-23 20:00. One shift
    # covers Wed 01-16 to Mon 01-21, so the gaps are 01-09 10:00 → 01-16 00:00 and 01-21 → 01-23 20:00.
    project = ProjectFactory(go_live_at=local(2030, 1, 9, 20), window_start=local(2030, 1, 9, 10),
                             window_end=local(2030, 1, 9, 22), hypercare_days=14)
    ops = member(project, "ops")
    ShiftFactory(project=project, user=ops, starts_at=local(2030, 1, 16), ends_at=local(2030, 1, 21))
    first, second = (local(2030, 1, 9, 10), local(2030, 1, 16)), (local(2030, 1, 21), local(2030, 1, 23, 20))
    assert selectors.rota_gaps(project=project) == [first, second]

    week = selectors.rota_week(project=project, week_start=datetime(2030, 1, 7).date())
    assert week["gaps"] == [(local(2030, 1, 9, 10), local(2030, 1, 14))]  # clipped at the week's end
    assert week["next_gap"] == second
    assert week["total_gaps"] == 2

    week = selectors.rota_week(project=project, week_start=datetime(2030, 1, 14).date())
    assert week["gaps"] == [(local(2030, 1, 14), local(2030, 1, 16))]  # clipped at the week's start
    assert [d["gaps"][0]["start"] for d in week["days"] if d["gaps"]] == [local(2030, 1, 14), local(2030, 1, 15)]
    assert week["next_gap"] == second

    week = selectors.rota_week(project=project, week_start=datetime(2030, 1, 28).date())
    assert week["gaps"] == [] and week["next_gap"] is None and week["total_gaps"] == 2


def test_project_list_for_user_only_members(project, other_project, users):
    assert list(selectors.project_list_for_user(user=users["staff"])) == [project]


def test_project_get_for_user_404_for_outsider(project, outsider):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.project_get_for_user(user=outsider, pk=project.pk)
    with pytest.raises(Http404):
        selectors.project_get_for_user(user=outsider, pk="abc")


def test_raci_grid_flags_areas_without_exactly_one_a(project, users):
    ResponsibilityFactory(project=project, area="Cutover", user=users["ops"], raci="A")
    ResponsibilityFactory(project=project, area="Cutover", user=users["manager"], raci="A")
    ResponsibilityFactory(project=project, area="Training", user=users["trainer"], raci="A")
    ResponsibilityFactory(project=project, area="Testing", user=users["tester"], raci="R")
    grid = selectors.raci_grid(project=project)
    assert {r["area"] for r in grid["violations"]} == {"Cutover", "Testing"}


def test_milestone_timeline_slips(project):
    today = timezone.localdate()
    MilestoneFactory(project=project, name="late", planned_date=today - timedelta(days=4))
    MilestoneFactory(project=project, name="done late", planned_date=today - timedelta(days=10),
                     actual_date=today - timedelta(days=8))
    MilestoneFactory(project=project, name="future", planned_date=today + timedelta(days=4))
    rows = {r["milestone"].name: r for r in selectors.milestone_timeline(project=project, today=today)["items"]}
    assert rows["late"]["slip"] == 4 and rows["late"]["state"] == "slipping"
    assert rows["done late"]["slip"] == 2 and rows["done late"]["state"] == "done"
    assert rows["future"]["slip"] == 0 and rows["future"]["state"] == "on_track"


def test_roster_filters(project, users):
    assert [m.user for m in selectors.roster(project=project, role="ops")] == [users["ops"]]
    assert list(selectors.roster(project=project, q="zzz-nobody")) == []
