"""The portfolio (issue 18): every launch of the person, their readiness, and people booked twice."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects import selectors, services
from projects.hooks import Duty
from readiness import selectors as readiness_selectors
from readiness import services as readiness_services
from tests.projects.factories import ProjectFactory, UserFactory, member
from tests.tasks.factories import run, runbook, step
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) + timedelta(days=10)


def _project(code, start=T0, hours=10):
    return ProjectFactory(code=code, go_live_at=start + timedelta(hours=hours - 2), window_start=start,
                          window_end=start + timedelta(hours=hours))


@pytest.fixture
def pmo():
    return UserFactory(username="pmo")


@pytest.fixture
def two(pmo):
    a, b = _project("cards"), _project("loans")
    for p in (a, b):
        member(p, "manager", user=pmo)
    return a, b


def _shift(project, user, start, hours):
    if not project.memberships.filter(user=user).exists():
        member(project, "ops", user=user)
    return services.shift_create(actor=None, project=project, user=user, starts_at=start,
                                 ends_at=start + timedelta(hours=hours))


# ----- conflicts ---------------------------------------------------------------------------------

def test_overlapping_shifts_in_two_projects_are_one_conflict(two):
    a, b = two
    ops = UserFactory(username="ops1")
    member(a, "ops", user=ops)
    member(b, "ops", user=ops)
    _shift(a, ops, T0, 12)
    _shift(b, ops, T0 + timedelta(hours=6), 12)
    data = selectors.portfolio(user=a.memberships.get(role="manager").user)
    assert data["conflicts"] == [{"user": ops.pk, "projects": sorted([a.pk, b.pk]), "starts_at": T0 + timedelta(hours=6),
                                  "ends_at": T0 + timedelta(hours=12), "person": ops, "project_objects": sorted(
                                      [a, b], key=lambda p: p.pk)}]


def test_shifts_that_do_not_overlap_are_no_conflict(two, pmo):
    a, b = two
    ops = UserFactory(username="ops2")
    _shift(a, ops, T0, 12)
    _shift(b, ops, T0 + timedelta(hours=12), 12)  # starts when the other ends
    _shift(a, pmo, T0, 12)
    _shift(a, pmo, T0 + timedelta(hours=3), 2)  # the same project twice: not a conflict
    assert selectors.portfolio(user=pmo)["conflicts"] == []


def test_touching_overlaps_of_the_same_pair_merge(two, pmo):
    a, b = two
    ops = UserFactory(username="ops3")
    _shift(a, ops, T0, 24)
    _shift(b, ops, T0 + timedelta(hours=2), 4)
    _shift(b, ops, T0 + timedelta(hours=6), 4)
    _shift(b, ops, T0 + timedelta(hours=20), 2)
    spans = [(c["starts_at"], c["ends_at"]) for c in selectors.portfolio(user=pmo)["conflicts"]]
    assert spans == [(T0 + timedelta(hours=2), T0 + timedelta(hours=10)),
                     (T0 + timedelta(hours=20), T0 + timedelta(hours=22))]


def test_owning_cutover_steps_in_overlapping_windows_is_a_conflict(pmo):
    a = _project("cards")
    b = _project("loans", start=T0 + timedelta(hours=4))
    c = _project("later", start=T0 + timedelta(days=7))
    for p in (a, b, c):
        member(p, "manager", user=pmo)
    dev = UserFactory(username="dev1")
    step(runbook(a, pmo), pmo, "Deploy", owner=member(a, "developer", user=dev))
    step(runbook(b, pmo), pmo, "Migrate", owner=member(b, "developer", user=dev))
    step(runbook(c, pmo), pmo, "Migrate", owner=member(c, "developer", user=dev))
    conflicts = selectors.portfolio(user=pmo)["conflicts"]
    assert [(x["user"], x["projects"], x["starts_at"], x["ends_at"]) for x in conflicts] == [
        (dev.pk, sorted([a.pk, b.pk]), b.window_start, a.window_end)]


def test_a_rehearsal_run_step_owner_on_shift_elsewhere_is_a_conflict(pmo):
    a, b = _project("cards"), _project("loans", start=T0 + timedelta(days=3))
    for p in (a, b):
        member(p, "manager", user=pmo)
    ops = member(a, "ops")
    member(b, "ops", user=ops)
    rb = runbook(a, pmo)
    step(rb, pmo, "Deploy", 60, owner=ops)
    rehearsal_at = b.window_start + timedelta(hours=1)
    r = run(rb, pmo, planned_start=rehearsal_at)
    _shift(b, ops, b.window_start, 4)
    conflicts = [x for x in selectors.portfolio(user=pmo)["conflicts"] if x["starts_at"] >= b.window_start]
    assert [(x["projects"], x["starts_at"]) for x in conflicts] == [(sorted([a.pk, b.pk]), rehearsal_at)]
    assert r.window_end > rehearsal_at


def test_past_duties_and_foreign_projects_are_left_out(two, pmo):
    a, b = two
    hidden = _project("hidden")  # pmo is no member: its duties never show
    ops = UserFactory(username="ops4")
    _shift(a, ops, T0, 12)
    _shift(hidden, ops, T0, 12)
    past = timezone.now() - timedelta(days=3)
    _shift(a, ops, past, 12)
    _shift(b, ops, past, 12)
    assert selectors.portfolio(user=pmo)["conflicts"] == []


def test_conflicts_of_is_pairwise_per_person():
    d = [Duty(user_id=1, project_id=p, starts_at=T0, ends_at=T0 + timedelta(hours=4), kind="shift") for p in (1, 2, 3)]
    assert sorted(c["projects"] for c in selectors.conflicts_of(d)) == [[1, 2], [1, 3], [2, 3]]


# ----- projects and scores -----------------------------------------------------------------------

def test_projects_are_the_callers_own_with_their_scorecard(two, pmo):
    a, b = two
    _project("not-mine")
    data = selectors.portfolio(user=pmo)
    assert [r["id"] for r in data["projects"]] == [a.pk, b.pk]
    card = readiness_selectors.scorecard(a)
    row = data["projects"][0]
    mandatory = [e for e in card["blockers"] if e.mandatory]
    assert (row["score"], row["ready"], row["blockers"]) == (card["score"], card["ready"], len(mandatory))


def test_scores_beyond_the_live_limit_come_from_the_latest_snapshot(two, pmo, monkeypatch):
    a, b = two
    readiness_services.readiness_snapshot_take(project=b, day=timezone.localdate() - timedelta(days=2))
    snap = readiness_services.readiness_snapshot_take(project=b, day=timezone.localdate() - timedelta(days=1))
    cache.clear()
    monkeypatch.setattr(readiness_selectors, "PORTFOLIO_LIVE_SCORECARDS", 1)
    rows = {r["id"]: r for r in selectors.portfolio(user=pmo)["projects"]}
    assert rows[a.pk]["score"] is not None  # evaluated live
    assert rows[b.pk]["score"] == snap.score  # the day before's snapshot
    cache.clear()
    monkeypatch.setattr(readiness_selectors, "PORTFOLIO_LIVE_SCORECARDS", 0)
    c = _project("fresh")
    member(c, "staff", user=pmo)
    rows = {r["id"]: r for r in selectors.portfolio(user=pmo)["projects"]}
    assert rows[c.pk]["score"] is None and rows[c.pk]["ready"] is None  # neither cached nor snapshotted


# ----- API -------------------------------------------------------------------------------------

def test_api_shape(two, pmo):
    a, b = two
    ops = UserFactory(username="ops5")
    _shift(a, ops, T0, 12)
    _shift(b, ops, T0 + timedelta(hours=1), 2)
    response = api_as(pmo).get("/api/v1/portfolio/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"projects", "conflicts"}
    assert [set(p) for p in data["projects"]] == [{"id", "name", "go_live_at", "score", "ready", "blockers"}] * 2
    [conflict] = data["conflicts"]
    assert (conflict["user"], conflict["projects"]) == (ops.pk, sorted([a.pk, b.pk]))
    assert parse_datetime(conflict["starts_at"]) == T0 + timedelta(hours=1)
    assert parse_datetime(conflict["ends_at"]) == T0 + timedelta(hours=3)


def test_api_anonymous_401_and_every_role_sees_own(project, users):
    assert api_as().get("/api/v1/portfolio/").status_code == 401
    for role, user in users.items():
        response = api_as(user).get("/api/v1/portfolio/")
        assert response.status_code == 200, role
        assert [p["id"] for p in response.json()["projects"]] == [project.pk]
    assert api_as(UserFactory()).get("/api/v1/portfolio/").json() == {"projects": [], "conflicts": []}


def test_api_post_is_405(pmo):
    assert api_as(pmo).post("/api/v1/portfolio/", {}).status_code == 405


def _launches(pmo, n, overlapping=False):
    """n launches of `pmo`, each with a shift of pmo and an ops engineer owning a step; with
    `overlapping`, pmo's shifts overlap (conflicts), otherwise the launches are a day apart."""
    for i in range(n):
        p = _project(f"launch-{n}-{int(overlapping)}-{i}", start=T0 + timedelta(hours=i if overlapping else 24 * i))
        member(p, "manager", user=pmo)
        ops = member(p, "ops")
        _shift(p, ops, p.window_start, 8)
        _shift(p, pmo, p.window_start, 8)
        step(runbook(p, pmo), pmo, "Deploy", owner=ops)


def test_api_query_count_is_the_same_for_1_and_5_projects(pmo):
    other = UserFactory(username="pmo2")
    _launches(pmo, 1)
    _launches(other, 5)
    _, one = count_queries(lambda: api_as(pmo).get("/api/v1/portfolio/"))
    response, five = count_queries(lambda: api_as(other).get("/api/v1/portfolio/"))
    assert len(response.json()["projects"]) == 5 and not response.json()["conflicts"]
    assert one == five


def test_api_query_count_with_conflicts_is_the_same_for_2_and_5_projects(pmo):
    other = UserFactory(username="pmo2")
    _launches(pmo, 2, overlapping=True)
    _launches(other, 5, overlapping=True)
    response, two = count_queries(lambda: api_as(pmo).get("/api/v1/portfolio/"))
    assert len(response.json()["conflicts"]) == 1
    response, five = count_queries(lambda: api_as(other).get("/api/v1/portfolio/"))
    assert len(response.json()["conflicts"]) == 10  # every pair of the five
    assert two == five


# ----- the page ----------------------------------------------------------------------------------

def test_page_full_and_htmx(client, two, pmo):
    a, b = two
    ops = UserFactory(username="ops6", first_name="Wei", last_name="Zhang")
    _shift(a, ops, T0, 12)
    _shift(b, ops, T0 + timedelta(hours=1), 2)
    client.force_login(pmo)
    page = client.get("/portfolio/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<html" in text and a.code in text and b.code in text and "People booked twice" in text
    assert "Zhang" in text or "Wei" in text
    fragment = htmx(client, "/portfolio/")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert 'id="portfolio"' in fragment.content.decode()
    listing = client.get("/").content.decode()
    assert "/portfolio/" in listing  # two projects: the list links to the portfolio


def test_page_anonymous_goes_to_login(client):
    response = client.get("/portfolio/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_page_query_count_is_the_same_for_2_and_5_projects(client, pmo):
    other = UserFactory(username="pmo3")
    _launches(pmo, 2, overlapping=True)
    _launches(other, 5, overlapping=True)
    client.force_login(pmo)
    _, one = count_queries(lambda: client.get("/portfolio/"))
    client.force_login(other)
    _, five = count_queries(lambda: client.get("/portfolio/"))
    assert one == five
