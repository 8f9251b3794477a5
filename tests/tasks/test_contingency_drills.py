"""Contingency scenarios and drills: the services and their refusals, a rehearsed rollback counted
as a drill, the readiness criterion `rollback_rehearsed`, the API and the page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.errors import DomainError
from readiness.registry import evaluate
from tasks import services
from tasks.models import ContingencyScenario, Drill
from tests.tasks.factories import chain, play, run, runbook
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def rollback(project, users):
    rb = runbook(project, users["ops"], name="Switch back to the old core", kind="rollback")
    chain(rb, users["ops"], 3)
    return rb


def _scenario(project, users, rollback=None, trigger="Balances do not reconcile after migration"):
    return services.scenario_create(actor=users["ops"], project=project, trigger=trigger,
                                    response="Stop, call the decision owner, roll back", owner=users["ops"],
                                    rollback_runbook=rollback)


def _criterion(project):
    return next(e for e in evaluate(project)["criteria"] if e.key == "rollback_rehearsed")


def test_a_clean_rollback_rehearsal_is_a_passed_drill_and_passes_readiness(project, users, rollback):
    scenario = _scenario(project, users, rollback)
    assert not _criterion(project).result.passed
    r = play(run(rollback, users["ops"]), users["ops"])
    drill = Drill.objects.get(run=r)
    assert drill.scenario == scenario and drill.outcome == "passed" and drill.recorded_by is None
    result = _criterion(project).result
    assert result.passed and result.value == 1 and "Switch back to the old core" in str(result.explanation)


def test_a_rollback_that_needed_a_retry_is_partial_and_does_not_pass(project, users, rollback):
    r = run(rollback, users["ops"])
    first = r.steps.order_by("order").first()
    services.runstep_start(actor=users["ops"], run_step=first, now=r.planned_start)
    services.runstep_fail(actor=users["ops"], run_step=first, note="script error", now=r.planned_start)
    play_rest = r.steps.order_by("order")
    t = r.planned_start + timedelta(minutes=5)
    for rs in play_rest:
        rs.refresh_from_db()
        services.runstep_start(actor=users["ops"], run_step=rs, now=t)
        services.runstep_complete(actor=users["ops"], run_step=rs, now=t + timedelta(minutes=5))
        t += timedelta(minutes=6)
    drill = Drill.objects.get(run=r)
    assert drill.scenario is None and drill.outcome == "partial" and "1 step(s) retried" in drill.notes
    result = _criterion(project).result
    assert not result.passed and "never clean" in str(result.explanation)


def test_cutover_rehearsals_and_tabletop_drills_do_not_count_as_a_rehearsed_rollback(project, users):
    cutover = runbook(project, users["ops"], name="Cutover")
    chain(cutover, users["ops"], 2)
    play(run(cutover, users["ops"]), users["ops"])
    scenario = _scenario(project, users)
    services.drill_record(actor=users["ops"], project=project, scenario=scenario, held_at=timezone.now(),
                          outcome="passed", notes="tabletop")
    assert not Drill.objects.filter(run__isnull=False).exists() and not _criterion(project).result.passed


@pytest.mark.parametrize("data, field", [
    ({"trigger": ""}, "trigger"),
    ({"trigger": "t" * 301}, "trigger"),
    ({"response": " "}, "response"),
])
def test_bad_scenarios_are_refused(project, users, data, field):
    with pytest.raises(DomainError) as exc:
        services.scenario_create(actor=users["ops"], project=project, **{"trigger": "t", "response": "r", **data})
    assert exc.value.field == field and not ContingencyScenario.objects.exists()


def test_scenario_runbook_and_drill_scenario_must_be_of_the_project(project, other_project, users, outsider):
    foreign = runbook(other_project, outsider, kind="rollback")
    with pytest.raises(DomainError):
        services.scenario_create(actor=users["ops"], project=project, trigger="t", response="r",
                                 rollback_runbook=foreign)
    theirs = services.scenario_create(actor=outsider, project=other_project, trigger="t", response="r")
    with pytest.raises(DomainError):
        services.drill_record(actor=users["ops"], project=project, scenario=theirs, held_at=timezone.now(),
                              outcome="passed")
    with pytest.raises(DomainError) as exc:
        services.drill_record(actor=users["ops"], project=project, scenario=_scenario(project, users),
                              held_at=timezone.now(), outcome="great")
    assert exc.value.field == "outcome" and not Drill.objects.exists()


# --- API -------------------------------------------------------------------------------------

def test_scenario_and_drill_api(project, users, outsider, rollback):
    client = api_as(users["ops"])
    created = client.post("/api/v1/contingency-scenarios/", {
        "project": project.pk, "trigger": "Core database unreachable for 5 minutes",
        "response": "Fail over to the standby; if it fails, roll back", "owner": users["ops"].pk,
        "rollback_runbook": rollback.pk}, format="json")
    assert created.status_code == 201, created.json()
    scenario = created.json()
    assert scenario["rollback_runbook"] == rollback.pk and scenario["owner"] == users["ops"].pk
    drill = client.post("/api/v1/drills/", {"project": project.pk, "scenario": scenario["id"],
                                            "held_at": "2026-11-20T20:00:00+08:00", "outcome": "partial",
                                            "notes": "standby took 9 minutes"}, format="json")
    assert drill.status_code == 201 and drill.json()["outcome"] == "partial"
    assert client.patch(f"/api/v1/drills/{drill.json()['id']}/", {"outcome": "passed"},
                        format="json").json()["outcome"] == "passed"
    for role in ("developer", "tester", "staff"):
        assert api_as(users[role]).post("/api/v1/drills/", {"project": project.pk, "scenario": scenario["id"],
                                                            "held_at": "2026-11-20T20:00:00+08:00",
                                                            "outcome": "passed"}, format="json").status_code == 403
    assert api_as(users["staff"]).get(f"/api/v1/contingency-scenarios/{scenario['id']}/").status_code == 200
    assert api_as(outsider).get(f"/api/v1/contingency-scenarios/{scenario['id']}/").status_code == 404
    assert api_as(outsider).get("/api/v1/drills/", {"project": project.pk}).status_code == 404
    assert client.delete(f"/api/v1/contingency-scenarios/{scenario['id']}/").status_code == 204


@pytest.mark.parametrize("url, body, field", [
    ("/api/v1/drills/", {"outcome": "excellent"}, "outcome"),
    ("/api/v1/drills/", {"scenario": "x"}, "scenario"),
    ("/api/v1/drills/", {"scenario": 999999}, "scenario"),
    ("/api/v1/drills/", {"held_at": "yesterday"}, "held_at"),
    ("/api/v1/drills/", {"run": 999999}, "run"),
    ("/api/v1/contingency-scenarios/", {"trigger": ""}, "trigger"),
    ("/api/v1/contingency-scenarios/", {"rollback_runbook": 999999}, "rollback_runbook"),
    ("/api/v1/contingency-scenarios/", {"owner": "me"}, "owner"),
    ("/api/v1/contingency-scenarios/", {"project": "one"}, "project"),
])
def test_bad_input_is_400_naming_the_field(project, users, url, body, field):
    scenario = _scenario(project, users)
    base = {"project": project.pk, "scenario": scenario.pk, "held_at": "2026-11-20T20:00:00+08:00",
            "outcome": "passed", "trigger": "t", "response": "r"}
    response = api_as(users["ops"]).post(url, {**base, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert ContingencyScenario.objects.count() == 1 and not Drill.objects.exists()


def test_drill_list_queries_do_not_grow(project, users):
    scenario = _scenario(project, users)
    client = api_as(users["ops"])
    services.drill_record(actor=users["ops"], project=project, scenario=scenario, held_at=timezone.now(),
                          outcome="passed")
    _, one = count_queries(lambda: client.get("/api/v1/drills/", {"project": project.pk}))
    for _i in range(30):
        services.drill_record(actor=users["ops"], project=project, scenario=scenario, held_at=timezone.now(),
                              outcome="failed")
    _, many = count_queries(lambda: client.get("/api/v1/drills/", {"project": project.pk}))
    assert one == many


# --- pages ----------------------------------------------------------------------------------

def test_contingency_page_scenarios_and_drills(client, project, users, rollback):
    url = reverse("tasks:contingency", args=[project.pk])
    client.force_login(users["staff"])
    page = client.get(url).content.decode()
    assert "Scenarios" in page and "rollback not rehearsed" in page and "Add a scenario" not in page
    assert client.post(reverse("tasks:scenario_add", args=[project.pk]), {}).status_code == 403
    client.force_login(users["ops"])
    bad = client.post(reverse("tasks:scenario_add", args=[project.pk]), {"trigger": "", "response": ""})
    assert bad.status_code == 400 and not ContingencyScenario.objects.exists()
    assert client.post(reverse("tasks:scenario_add", args=[project.pk]), {
        "trigger": "Network switch fails", "response": "Use the backup line",
        "rollback_runbook": rollback.pk}).status_code == 302
    scenario = ContingencyScenario.objects.get()
    assert client.post(reverse("tasks:drill_add", args=[project.pk]), {
        "scenario": scenario.pk, "held_at": "2026-11-20T20:00", "outcome": "passed"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Network switch fails" in page and "Passed" in page
    detail = client.get(reverse("tasks:scenario", args=[project.pk, scenario.pk]))
    assert detail.status_code == 200 and "Use the backup line" in detail.content.decode()
    saved = client.post(reverse("tasks:scenario", args=[project.pk, scenario.pk]), {
        "trigger": "Core switch fails", "response": "Use the backup line", "rollback_runbook": rollback.pk})
    assert saved.status_code == 302
    scenario.refresh_from_db()
    assert scenario.trigger == "Core switch fails" and scenario.history.count() == 2


def test_runbooks_page_lists_the_criterion(client, project, users):
    client.force_login(users["staff"])
    assert "Rollback rehearsed" in client.get(reverse("tasks:runbooks", args=[project.pk])).content.decode()
