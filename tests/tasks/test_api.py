import pytest

from tasks import services
from tasks.models import RunStepStatus, Step
from tests.projects.factories import ProjectFactory, member
from tests.tasks.factories import chain, run, run_step, runbook
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(project, users):
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], 3, owner=users["developer"])
    r = run(rb, users["ops"])
    check = services.check_create(actor=users["ops"], run=r, entity="customers", source_count=1, target_count=1)
    return {"rb": rb, "steps": steps, "run": r, "check": check}


LISTS = ["/api/v1/runbooks/", "/api/v1/runs/", "/api/v1/migration-checks/", "/api/v1/work-items/"]


def _reads(s):
    rb, r = s["rb"].pk, s["run"].pk
    return ["/api/v1/runbooks/", f"/api/v1/runbooks/{rb}/", f"/api/v1/runbooks/{rb}/steps/",
            f"/api/v1/runbooks/{rb}/steps/{s['steps'][0].pk}/", "/api/v1/runs/", f"/api/v1/runs/{r}/",
            f"/api/v1/runs/{r}/steps/", f"/api/v1/runs/{r}/steps/{s['steps'][0].pk}/", "/api/v1/migration-checks/",
            f"/api/v1/migration-checks/{s['check'].pk}/", "/api/v1/work-items/"]


def test_read_permission_matrix(project, users, outsider, setup):
    for url in _reads(setup):
        assert api_as(None).get(url).status_code == 401, url
        for role, user in users.items():
            assert api_as(user).get(url).status_code == 200, (url, role)
        response = api_as(outsider).get(url)
        if url in LISTS:
            assert response.status_code == 200 and response.json()["count"] == 0, url
            assert api_as(outsider).get(url, {"project": project.pk}).status_code == 404, url
        else:
            assert response.status_code == 404, url


def test_run_contract_fields(project, users, setup):
    data = api_as(users["staff"]).get(f"/api/v1/runs/{setup['run'].pk}/").json()
    for field in ("planned_finish", "forecast_finish", "window_end", "critical_path", "kind", "runbook", "number"):
        assert field in data
    assert data["critical_path"] == [s.pk for s in setup["steps"]]
    steps = api_as(users["staff"]).get(f"/api/v1/runs/{setup['run'].pk}/steps/").json()["results"]
    assert [s["id"] for s in steps] == [s.pk for s in setup["steps"]]  # addressed by runbook step id
    assert steps[0]["status"] == "ready"


def test_runbook_and_step_writes_by_role(project, users, outsider):
    for role, user in users.items():
        response = api_as(user).post("/api/v1/runbooks/", {"project": project.pk, "name": f"RB {role}"})
        assert response.status_code == (201 if role in ("ops", "manager") else 403), role
    assert api_as(outsider).post("/api/v1/runbooks/", {"project": project.pk, "name": "X"}).status_code == 404
    rb = project.runbooks.get(name="RB ops")
    client = api_as(users["ops"])
    a = client.post(f"/api/v1/runbooks/{rb.pk}/steps/", {"title": "A", "category": "deployment",
                                                         "planned_minutes": 10}, format="json")
    assert a.status_code == 201, a.json()
    b = client.post(f"/api/v1/runbooks/{rb.pk}/steps/", {"title": "B", "category": "data_migration",
                                                         "owner": users["developer"].pk, "planned_minutes": 20,
                                                         "depends_on": [a.json()["id"]]}, format="json")
    assert b.status_code == 201 and b.json()["depends_on"] == [a.json()["id"]]
    assert api_as(users["tester"]).post(f"/api/v1/runbooks/{rb.pk}/steps/", {
        "title": "C", "category": "deployment", "planned_minutes": 1}, format="json").status_code == 403
    patched = client.patch(f"/api/v1/runbooks/{rb.pk}/steps/{a.json()['id']}/", {"planned_minutes": 15},
                           format="json")
    assert patched.status_code == 200 and patched.json()["planned_minutes"] == 15
    assert api_as(users["developer"]).delete(f"/api/v1/runbooks/{rb.pk}/steps/{b.json()['id']}/").status_code == 403
    assert client.delete(f"/api/v1/runbooks/{rb.pk}/steps/{b.json()['id']}/").status_code == 204


def test_cycle_refused_with_message(project, users, setup):
    a, _b, c = setup["steps"]
    response = api_as(users["ops"]).patch(f"/api/v1/runbooks/{setup['rb'].pk}/steps/{a.pk}/",
                                          {"depends_on": [c.pk]}, format="json")
    assert response.status_code == 400
    assert "cycle" in response.json()["detail"] and "Step 3" in response.json()["detail"]
    assert list(Step.objects.get(pk=a.pk).depends_on.all()) == []


def test_bad_step_input(project, users, setup):
    rb = setup["rb"]
    client = api_as(users["ops"])
    for payload in ({"title": "", "category": "deployment", "planned_minutes": 1},
                    {"title": "X", "category": "magic", "planned_minutes": 1},
                    {"title": "X", "category": "deployment", "planned_minutes": -5}):
        response = client.post(f"/api/v1/runbooks/{rb.pk}/steps/", payload, format="json")
        assert response.status_code == 400 and response.json()["detail"], payload
    other = runbook(project, users["ops"], name="Other")
    foreign = chain(other, users["ops"], 1)[0]
    response = client.post(f"/api/v1/runbooks/{rb.pk}/steps/", {"title": "X", "category": "deployment",
                                                                "planned_minutes": 1, "depends_on": [foreign.pk]},
                           format="json")
    assert response.status_code == 400
    assert rb.steps.count() == 3


def test_run_create_and_bad_runbook(project, users, outsider, setup):
    response = api_as(users["ops"]).post("/api/v1/runs/", {"runbook": setup["rb"].pk, "kind": "rehearsal"})
    assert response.status_code == 201 and response.json()["number"] == 2
    assert api_as(users["tester"]).post("/api/v1/runs/", {"runbook": setup["rb"].pk,
                                                          "kind": "rehearsal"}).status_code == 403
    other = ProjectFactory()
    foreign_ops = member(other, "ops", user=users["ops"])
    foreign_rb = runbook(other, foreign_ops, name="Theirs")
    chain(foreign_rb, foreign_ops, 1)
    response = api_as(users["ops"]).post("/api/v1/runs/", {"runbook": foreign_rb.pk, "kind": "rehearsal",
                                                           "project": project.pk})
    assert response.status_code == 400 and "another project" in response.json()["detail"]
    response = api_as(outsider).post("/api/v1/runs/", {"runbook": setup["rb"].pk, "kind": "rehearsal"})
    assert response.status_code == 400  # a runbook the caller cannot see does not exist for them
    assert api_as(users["ops"]).post("/api/v1/runs/", {"runbook": setup["rb"].pk, "kind": "x"}).status_code == 400
    assert project.runs.count() == 2


def test_run_step_actions(project, users, setup):
    r, (a, b, _c) = setup["run"], setup["steps"]
    base = f"/api/v1/runs/{r.pk}/steps"
    dev, tester = api_as(users["developer"]), api_as(users["tester"])
    assert tester.post(f"{base}/{a.pk}/start/").status_code == 403
    response = dev.post(f"{base}/{b.pk}/start/")
    assert response.status_code == 400 and "waits for" in response.json()["detail"]
    assert dev.post(f"{base}/{a.pk}/complete/").status_code == 400
    response = dev.post(f"{base}/{a.pk}/start/")
    assert response.status_code == 200 and response.json()["status"] == "running"
    assert dev.post(f"{base}/{a.pk}/fail/", {"note": ""}).status_code == 400
    assert run_step(r, a).status == RunStepStatus.RUNNING
    assert dev.post(f"{base}/{a.pk}/complete/").json()["status"] == "done"
    assert run_step(r, b).status == RunStepStatus.READY
    assert dev.post(f"{base}/{b.pk}/skip/", {"note": "x"}).status_code == 403
    response = api_as(users["manager"]).post(f"{base}/{b.pk}/skip/", {"note": "Done by hand"})
    assert response.status_code == 200 and response.json()["status"] == "skipped"
    assert dev.post(f"{base}/999999/start/").status_code == 404


def test_migration_checks_api(project, users, setup, outsider):
    client = api_as(users["ops"])
    payload = {"run": setup["run"].pk, "entity": "balances", "source_count": 5, "target_count": 5,
               "source_total": "100.00", "target_total": "99.00", "tolerance": "0.50"}
    response = client.post("/api/v1/migration-checks/", payload)
    assert response.status_code == 201 and response.json()["status"] == "mismatch"
    assert response.json()["total_difference"] == "-1.00"
    assert api_as(users["tester"]).post("/api/v1/migration-checks/", {**payload, "entity": "x"}).status_code == 403
    assert api_as(outsider).post("/api/v1/migration-checks/", {**payload, "entity": "y"}).status_code == 400
    bad = client.post("/api/v1/migration-checks/", {**payload, "entity": "z", "source_count": -1})
    assert bad.status_code == 400
    check_id = response.json()["id"]
    response = client.patch(f"/api/v1/migration-checks/{check_id}/", {"tolerance": "2.00"})
    assert response.status_code == 200 and response.json()["status"] == "match"
    response = client.post(f"/api/v1/migration-checks/{check_id}/confirm-backup/")
    assert response.status_code == 200 and response.json()["backup_confirmed_by"] == users["ops"].pk
    assert api_as(users["ops"]).get(f"/api/v1/migration-checks/?run={setup['run'].pk}&status=match").json()[
        "count"] == 2


def test_work_items_api(project, users):
    client = api_as(users["ops"])
    response = client.post("/api/v1/work-items/", {"project": project.pk, "title": "UPS test",
                                                   "owner": users["developer"].pk})
    assert response.status_code == 201
    item = response.json()["id"]
    assert api_as(users["tester"]).post(f"/api/v1/work-items/{item}/status/", {"status": "done"}).status_code == 403
    response = api_as(users["developer"]).post(f"/api/v1/work-items/{item}/status/", {"status": "blocked"})
    assert response.status_code == 400 and "blocks" in response.json()["detail"]
    response = api_as(users["developer"]).post(f"/api/v1/work-items/{item}/status/", {"status": "done"})
    assert response.json()["status"] == "done"


def test_list_apis_query_count_constant(project, users):
    client = api_as(users["ops"])
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 2)
    r = run(rb, users["ops"])
    services.check_create(actor=users["ops"], run=r, entity="e0", source_count=1, target_count=1)
    services.workitem_create(actor=users["ops"], project=project, title="w0")
    urls = ["/api/v1/runbooks/", "/api/v1/runs/", "/api/v1/migration-checks/", "/api/v1/work-items/",
            f"/api/v1/runbooks/{rb.pk}/steps/", f"/api/v1/runs/{r.pk}/steps/"]
    before = {url: count_queries(lambda url=url: client.get(url))[1] for url in urls}
    rb2 = runbook(project, users["ops"], name="Second")
    chain(rb2, users["ops"], 3)
    chain(rb, users["ops"], 48)
    for i in range(49):
        services.check_create(actor=users["ops"], run=r, entity=f"e{i + 1}", source_count=1, target_count=1)
        services.workitem_create(actor=users["ops"], project=project, title=f"w{i + 1}")
    r2 = run(rb, users["ops"])
    for i in range(48):
        run(rb2 if i % 2 else rb, users["ops"])
    urls[-1] = f"/api/v1/runs/{r2.pk}/steps/"
    for url in urls:
        response, n = count_queries(lambda url=url: client.get(url, {"page_size": 100}))
        assert response.status_code == 200 and response.json()["count"] >= 2, url
        assert n == before.get(url, before[f"/api/v1/runs/{r.pk}/steps/"]), url


def test_contingency_plan_api_read_only(project, users, outsider):
    plan = services.plan_save(actor=users["ops"], project=project, rollback_criteria="Balances differ")
    data = api_as(users["staff"]).get(f"/api/v1/contingency-plans/?project={project.pk}").json()
    assert data["count"] == 1 and data["results"][0]["status"] == "draft"
    assert api_as(outsider).get(f"/api/v1/contingency-plans/{plan.pk}/").status_code == 404
    assert api_as(users["manager"]).post("/api/v1/contingency-plans/", {}).status_code == 405


def test_production_step_start_before_the_window_is_400(project, users):
    rb = runbook(project, users["ops"], name="Go-live")
    (a,) = chain(rb, users["ops"], 1)
    r = services.run_create(actor=users["ops"], runbook=rb, kind="production")
    response = api_as(users["ops"]).post(f"/api/v1/runs/{r.pk}/steps/{a.pk}/start/")
    assert response.status_code == 400 and "window opens on" in response.json()["detail"]
    assert response.json()["window_opens_at"] == project.window_start.isoformat()
    assert run_step(r, a).status == RunStepStatus.READY
