"""The readiness registry, the score, per-project settings, the team criteria, snapshots and the API."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.errors import DomainError
from projects.models import Project
from readiness import registry as readiness
from readiness import services as readiness_services
from readiness.models import ReadinessSnapshot
from readiness.readiness_criteria import raci_accountable, rota_coverage
from readiness.tasks import snapshot_readiness
from tests.projects.factories import MilestoneFactory, ProjectFactory, ResponsibilityFactory, ShiftFactory, member
from tests.readiness.helpers import empty_registry, fixed, threshold
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    return empty_registry(monkeypatch)


# ----- the registry and the score ------------------------------------------------------------


def test_apps_register_criteria_without_projects_importing_them():
    keys = {c.key for c in readiness.criteria()}
    # the other apps' criteria are in the registry (each app's AppConfig.ready imported its module) ...
    assert {"rota_gaps", "raci_accountable"} <= keys
    assert any(k.startswith(("requirements", "training")) for k in keys)
    # ... yet nothing in projects imports another app
    import pathlib

    for path in pathlib.Path("projects").rglob("*.py"):
        text = path.read_text()
        for app in ("requirements", "defects", "training", "tasks"):
            assert f"from {app}" not in text and f"import {app}" not in text, (path, app)


def test_score_is_weighted_share_and_ready_needs_every_mandatory(registry, project):
    fixed("a", value=1, passed=True, weight=3)
    fixed("b", value=0, passed=False, weight=1, mandatory=False)
    result = readiness.evaluate(project)
    assert result["score"] == 75  # 3 of 4 weight points
    assert result["ready"] is True  # the failing one is not mandatory
    assert [e.key for e in result["blockers"]] == ["b"]
    fixed("c", value=0, passed=False, weight=4)
    result = readiness.evaluate(project)
    assert result["score"] == round(3 * 100 / 8)
    assert result["ready"] is False


def test_no_criteria_is_not_ready(registry, project):
    result = readiness.evaluate(project)
    assert result == {"score": 0, "ready": False, "criteria": [], "blockers": []}


def test_project_overrides_target_weight_and_mandatory(registry, project):
    threshold("coverage", value=80)
    fixed("other", value=0, passed=False, weight=1)
    assert readiness.evaluate(project)["ready"] is False
    readiness_services.readiness_settings_set(actor=None, project=project, settings={
        "coverage": {"target": 75, "weight": 3}, "other": {"mandatory": False, "weight": 1}})
    project.refresh_from_db()
    result = readiness.evaluate(project)
    coverage = next(e for e in result["criteria"] if e.key == "coverage")
    assert coverage.passed and coverage.target == 75 and coverage.weight == 3
    assert result["ready"] is True and result["score"] == 75
    # only what differs from the defaults is stored
    assert project.readiness_targets == {"coverage": {"target": 75, "weight": 3}, "other": {"mandatory": False}}


def test_settings_refuse_bad_input_and_save_nothing(registry, project):
    threshold("coverage", value=80)
    for settings, field in [({"nope": {"target": 1}}, "settings"), ({"coverage": {"target": "x"}}, "coverage-target"),
                            ({"coverage": {"target": -1}}, "coverage-target"),
                            ({"coverage": {"weight": 11}}, "coverage-weight")]:
        with pytest.raises(DomainError) as exc:
            readiness_services.readiness_settings_set(actor=None, project=project, settings=settings)
        assert exc.value.field == field
    with pytest.raises(DomainError):
        readiness_services.readiness_settings_set(actor=None, project=project, settings={}, required_signoffs=[])
    project.refresh_from_db()
    assert project.readiness_targets == {}


def test_a_crashing_criterion_fails_visibly_and_does_not_break_the_rest(registry, project):
    @readiness.criterion(key="boom", label="Boom")
    def boom(project, target):
        raise RuntimeError("bug in another app")

    fixed("fine", value=1, passed=True)
    result = readiness.evaluate(project)
    failed = next(e for e in result["criteria"] if e.key == "boom")
    assert not failed.passed and "could not be computed" in str(failed.result.explanation)
    assert result["score"] == 50


def test_freeze_is_plain_json(registry, project):
    fixed("a", value=2, passed=False, url="/x/", display="2 open", total=None)
    frozen = readiness.freeze(readiness.evaluate(project))
    assert frozen["blockers"] == ["a"]
    assert frozen["criteria"][0] == {"key": "a", "label": "a", "value": 2, "target": 0, "passed": False, "weight": 1,
                                     "mandatory": True, "area": "testing", "explanation": "a explained", "url": "/x/",
                                     "display": "2 open", "total": None, "unit": "at_most", "credit": 0.0}


# ----- the projects app's own criteria on crafted data ---------------------------------------


def test_rota_criterion_passes_when_window_and_hypercare_are_covered(project):
    user = member(project, "ops")
    assert not rota_coverage(project, 0).passed
    ShiftFactory(project=project, user=user, starts_at=project.window_start, ends_at=project.hypercare_end)
    assert rota_coverage(project, 0).passed


def test_raci_criterion_needs_exactly_one_accountable_per_area(project):
    a, b = member(project, "ops"), member(project, "developer")
    assert not raci_accountable(project, 0).passed  # nothing written down
    ResponsibilityFactory(project=project, area="Cutover", user=a, raci="A")
    assert raci_accountable(project, 0).passed
    ResponsibilityFactory(project=project, area="Cutover", user=b, raci="A")
    assert not raci_accountable(project, 0).passed


# ----- snapshots -----------------------------------------------------------------------------


def test_snapshot_one_per_day_and_task_is_idempotent(registry, project):
    fixed("a", value=1, passed=True)
    snap = readiness_services.readiness_snapshot_take(project=project, day=date(2026, 11, 1))
    assert snap.score == 100 and snap.ready and snap.criteria[0]["key"] == "a"
    closed = ProjectFactory(phase="closed")
    assert snapshot_readiness() == 1
    assert snapshot_readiness() == 1
    assert ReadinessSnapshot.objects.filter(project=project).count() == 2
    assert not ReadinessSnapshot.objects.filter(project=closed).exists()


def test_one_failing_project_does_not_stop_the_daily_snapshots(registry, project, monkeypatch):
    fixed("a", value=1, passed=True)
    other = ProjectFactory()
    real = readiness_services.readiness_snapshot_take

    def flaky(*, project, day=None):
        if project.pk == other.pk:
            raise RuntimeError("database hiccup")
        return real(project=project, day=day)

    monkeypatch.setattr(readiness_services, "readiness_snapshot_take", flaky)
    assert readiness_services.readiness_snapshot_all() == 1
    assert ReadinessSnapshot.objects.filter(project=project).exists()


def test_snapshot_schedule_is_declared():
    from readiness.schedules import SCHEDULES

    assert ("Readiness snapshot", "readiness.tasks.snapshot_readiness") in [(n, t) for n, t, _c in SCHEDULES]


# ----- pages ---------------------------------------------------------------------------------


def test_settings_page_manager_only(client, project, users, outsider):
    url = reverse("readiness:settings", args=[project.pk])
    assert client.get(url).status_code == 302
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == (200 if role == "manager" else 403), role
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_settings_page_saves_and_refuses_bad_input(client, registry, project, users):
    threshold("coverage", value=80)
    client.force_login(users["manager"])
    url = reverse("readiness:settings", args=[project.pk])
    bad = client.post(url, {"coverage-target": "-5", "coverage-weight": "1", "required_signoffs": ["manager"]})
    assert bad.status_code == 400
    assert Project.objects.get(pk=project.pk).readiness_targets == {}
    ok = client.post(url, {"coverage-target": "70", "coverage-weight": "2", "coverage-mandatory": "on",
                           "required_signoffs": ["manager", "ops"]})
    assert ok.status_code == 302
    project.refresh_from_db()
    assert project.readiness_targets == {"coverage": {"target": 70, "weight": 2}, "_signoff_roles": ["manager", "ops"]}


def test_snapshot_now_button(client, registry, project, users):
    fixed("a", value=1, passed=True)
    url = reverse("readiness:snapshot", args=[project.pk])
    client.force_login(users["tester"])
    assert client.post(url).status_code == 403
    client.force_login(users["manager"])
    assert client.post(url).status_code == 302
    assert ReadinessSnapshot.objects.filter(project=project, date=timezone.localdate()).exists()


def test_readiness_page_shows_weights_explanations_and_links(client, registry, project, users):
    fixed("open_things", value=3, passed=False, url="/where/", display="3 open", weight=2)
    client.force_login(users["staff"])
    body = client.get(reverse("readiness:scorecard", args=[project.pk])).content.decode()
    assert 'href="/where/"' in body and "open_things explained" in body and "3 open" in body
    assert "Not ready to go live" in body
    partial = client.get(reverse("readiness:scorecard", args=[project.pk]), headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and 'id="scorecard"' in partial.content.decode()


# ----- API -----------------------------------------------------------------------------------


def test_readiness_api_shape(registry, project, users):
    fixed("a", value=1, passed=True, weight=2)
    fixed("b", value=5, passed=False, url="/b/", display="5 open")
    data = api_as(users["staff"]).get(f"/api/v1/projects/{project.pk}/readiness/").json()
    assert data["score"] == 67 and data["ready"] is False and data["blockers"] == ["b"]
    b = data["criteria"][1]
    assert {k: b[k] for k in ("key", "label", "value", "target", "passed")} == {
        "key": "b", "label": "b", "value": 5, "target": 0, "passed": False}
    assert b["weight"] == 1 and b["url"] == "/b/" and b["explanation"] == "b explained"


def test_readiness_api_permissions(project, users, outsider):
    url = f"/api/v1/projects/{project.pk}/readiness/"
    assert api_as(None).get(url).status_code == 401
    assert api_as(outsider).get(url).status_code == 404
    assert api_as(users["staff"]).get(url).status_code == 200


def test_readiness_api_query_count_constant(project, users):
    """All registered criteria (every app's) at two data sizes: the same number of queries."""
    client = api_as(users["manager"])
    url = f"/api/v1/projects/{project.pk}/readiness/"
    _, few = count_queries(lambda: client.get(url))
    for i in range(50):
        MilestoneFactory(project=project, planned_date=timezone.localdate() - timedelta(days=i))
        ResponsibilityFactory(project=project, area=f"Area {i}", user=users["ops"], raci="A")
        ShiftFactory(project=project, user=users["ops"], starts_at=project.window_start + timedelta(hours=i),
                     ends_at=project.window_start + timedelta(hours=i + 1))
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_a_criterion_links_only_to_pages_the_reader_may_open(client, registry, project, users):
    coverage = reverse("training:coverage", args=[project.pk])  # trainers' and managers' page
    fixed("training_like", value=50, passed=False, url=coverage, display="50%")
    page = reverse("readiness:scorecard", args=[project.pk])
    client.force_login(users["staff"])
    body = client.get(page).content.decode()
    assert "training_like" in body and f'href="{coverage}"' not in body  # the label, not a link to a 403
    client.force_login(users["trainer"])
    assert f'href="{coverage}"' in client.get(page).content.decode()
    assert client.get(coverage).status_code == 200


# ----- the cached scorecard (readiness.freshness) ---------------------------------------------


def test_the_scorecard_is_cached_until_something_in_the_project_changes(registry, project, users, other_project):
    from readiness import selectors

    calls = []

    @readiness.criterion(key="counted", label="counted", default_target=0)
    def counted(p, target):
        calls.append(p.pk)
        return readiness.Result(value=len(calls), passed=True)

    first = selectors.scorecard(project)
    again = selectors.scorecard(project)
    assert calls == [project.pk] and again["criteria"][0].result.value == first["criteria"][0].result.value
    MilestoneFactory(project=other_project)  # another project's change leaves this one's cache alone
    selectors.scorecard(project)
    assert calls == [project.pk]
    MilestoneFactory(project=project)  # an audited change in the project: the next reader gets a fresh one
    assert selectors.scorecard(project)["criteria"][0].result.value == 2
    readiness_services.readiness_settings_set(actor=users["manager"], project=project,
                                              settings={"counted": {"weight": 3}})
    project.refresh_from_db()  # a request reads the project afresh
    fresh = selectors.scorecard(project)
    assert len(calls) == 3 and fresh["criteria"][0].weight == 3


def test_the_cache_is_per_language(registry, project):
    from django.utils import translation

    from readiness import selectors

    @readiness.criterion(key="worded", label="worded", default_target=0)
    def worded(p, target):
        return readiness.Result(value=1, passed=True, explanation=str(translation.gettext("Ready")))

    with translation.override("zh-hans"):
        zh = selectors.scorecard(project)["criteria"][0].result.explanation
    with translation.override("en"):
        en = selectors.scorecard(project)["criteria"][0].result.explanation
    assert en == "Ready" and zh != en


def test_a_cache_outage_never_fails_the_scorecard(registry, project, monkeypatch):
    from django.core.cache import cache

    from readiness import selectors

    fixed("always", value=1, passed=True)

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    for name in ("get", "set", "get_or_set", "incr"):
        monkeypatch.setattr(cache, name, down)
    assert selectors.scorecard(project)["criteria"][0].key == "always"
    MilestoneFactory(project=project)  # the write that would invalidate it still succeeds


def test_an_area_is_evaluated_alone_when_the_scorecard_is_not_cached(project, monkeypatch):
    """The cutover page's criteria: from the cached scorecard when it is there; otherwise only the cutover
    criteria run (and are kept), not the whole scorecard."""
    from django.core.cache import cache

    from readiness import registry
    from readiness import selectors as readiness_selectors

    ran, compute = [], registry._compute

    def spy(c, project, target):
        ran.append(c.area)
        return compute(c, project, target)

    monkeypatch.setattr(registry, "_compute", spy)
    cache.clear()
    first = registry.area_results(project, "cutover")
    assert first and set(ran) == {"cutover"} and all(e.area == "cutover" for e in first)
    ran.clear()
    assert [e.key for e in registry.area_results(project, "cutover")] == [e.key for e in first] and not ran
    readiness_selectors.scorecard(project)  # the whole scorecard cached: areas come from it
    ran.clear()
    assert [e.key for e in registry.area_results(project, "training")] and not ran
