import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from defects.models import Defect, DefectAttachment, TestCycle
from tests.defects.factories import PNG, REPORT, case, cycle, file_defect
from tests.projects.factories import member
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


def _payload(project, **kw):
    return {"project": project.pk, **REPORT, **kw}


def test_create_defect_server_sets_reporter_and_status(project, users):
    response = api_as(users["tester"]).post("/api/v1/defects/", _payload(project, priority="high",
                                                                          assignee=users["developer"].pk), format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["reporter"] == users["tester"].pk and body["status"] == "new" and body["key"] == "D-1"
    assert body["assignee"] == users["developer"].pk and body["allowed_transitions"] == ["open", "rejected"]
    assert body["fix_due_at"] and body["overdue"] is False


def test_create_ignores_client_status_and_reporter(project, users):
    response = api_as(users["tester"]).post(
        "/api/v1/defects/", _payload(project, status="closed", reporter=users["manager"].pk), format="json")
    assert response.status_code == 201
    assert response.data["status"] == "new" and response.data["reporter"] == users["tester"].pk


@pytest.mark.parametrize("change,field", [
    ({"steps": ""}, "steps"), ({"expected_result": None}, "expected_result"), ({"actual_result": ""},
                                                                              "actual_result"),
    ({"severity": "blocker"}, "severity"), ({"category": "cosmetic"}, "category"), ({"title": ""}, "title"),
])
def test_bad_input_is_400_with_field_and_nothing_saved(project, users, change, field):
    response = api_as(users["tester"]).post("/api/v1/defects/", _payload(project, **change), format="json")
    assert response.status_code == 400 and field in response.data and response.data["detail"]
    assert not Defect.objects.exists()


def test_create_permission_matrix(project, users, outsider):
    assert api_as().post("/api/v1/defects/", _payload(project), format="json").status_code == 401
    assert api_as(outsider).post("/api/v1/defects/", _payload(project), format="json").status_code == 404
    for role in ROLES:
        response = api_as(users[role]).post("/api/v1/defects/", _payload(project, found_in="testing"), format="json")
        assert response.status_code == (201 if role in ("manager", "tester") else 403), role
    # anyone may file a hypercare defect
    response = api_as(users["staff"]).post("/api/v1/defects/", _payload(project, found_in="hypercare",
                                                                         customers_affected=5), format="json")
    assert response.status_code == 201 and response.data["customers_affected"] == 5


def test_list_detail_permissions_and_security_visibility(project, users, outsider, other_project):
    d = file_defect(project, users["tester"])
    sec = file_defect(project, users["tester"], category="security")
    assert api_as().get("/api/v1/defects/").status_code == 401
    assert api_as(outsider).get(f"/api/v1/defects/?project={project.pk}").status_code == 404
    assert api_as(outsider).get(f"/api/v1/defects/{d.pk}/").status_code == 404
    assert api_as(outsider).get("/api/v1/defects/").data["count"] == 0
    for role in ROLES:
        client = api_as(users[role])
        listed = {row["id"] for row in client.get(f"/api/v1/defects/?project={project.pk}").data["results"]}
        sees = role in ("manager", "tester", "developer", "ops")
        # Branch staff who hold no other role see no defects at all (the testing area is not theirs).
        assert listed == ({d.pk, sec.pk} if sees else set() if role == "staff" else {d.pk}), role
        assert client.get(f"/api/v1/defects/{sec.pk}/").status_code == (200 if sees else 404), role
    assert api_as(users["staff"]).get(f"/api/v1/defects/?project={other_project.pk}").status_code == 404


def test_list_filters(project, users):
    file_defect(project, users["tester"], severity="critical")
    file_defect(project, users["tester"], severity="minor")
    client = api_as(users["manager"])
    assert client.get(f"/api/v1/defects/?project={project.pk}&severity=critical").data["count"] == 1
    assert client.get(f"/api/v1/defects/?project={project.pk}&status=new").data["count"] == 2
    assert client.get(f"/api/v1/defects/?project={project.pk}&overdue=1").data["count"] == 0


def test_transition_endpoint(project, users):
    d = file_defect(project, users["tester"], assignee=users["developer"])
    url = f"/api/v1/defects/{d.pk}/transition/"
    bad = api_as(users["manager"]).post(url, {"to": "fixed", "comment": "x"}, format="json")
    assert bad.status_code == 400 and "Allowed next states: open, rejected" in bad.data["detail"]
    assert bad.data["allowed"] == ["open", "rejected"]
    assert api_as(users["developer"]).post(url, {"to": "open"}, format="json").status_code == 403
    ok = api_as(users["manager"]).post(url, {"to": "open", "comment": "triaged"}, format="json")
    assert ok.status_code == 200 and ok.data["status"] == "open"
    other_dev = member(project, "developer")
    denied = api_as(other_dev).post(url, {"to": "in_progress"}, format="json")
    assert denied.status_code == 403 and "assigned to" in denied.data["detail"]
    assert api_as(users["developer"]).post(url, {"to": "in_progress"}, format="json").data["status"] == "in_progress"
    reject = api_as(users["tester"]).post(url, {"to": "rejected"}, format="json")
    assert reject.status_code == 400 and "reject_reason" in reject.data
    history = api_as(users["business"]).get(f"/api/v1/defects/{d.pk}/transitions/")
    assert [t["to_status"] for t in history.data] == ["new", "open", "in_progress"]
    unknown = api_as(users["manager"]).post(url, {"to": "done"}, format="json")
    assert unknown.status_code == 400 and "Unknown status" in unknown.data["detail"]


def test_patch_edits_and_assigns(project, users):
    d = file_defect(project, users["tester"])
    url = f"/api/v1/defects/{d.pk}/"
    assert api_as(users["business"]).patch(url, {"title": "mine"}, format="json").status_code == 403
    assert api_as(users["staff"]).patch(url, {"title": "mine"}, format="json").status_code == 404
    response = api_as(users["manager"]).patch(url, {"severity": "critical", "assignee": users["developer"].pk},
                                              format="json")
    assert response.status_code == 200 and response.data["severity"] == "critical"
    assert response.data["assignee"] == users["developer"].pk
    bad = api_as(users["manager"]).patch(url, {"assignee": users["business"].pk}, format="json")
    assert bad.status_code == 400 and "assignee" in bad.data


def test_comments_and_attachments(project, users, settings):
    d = file_defect(project, users["tester"])
    assert api_as(users["staff"]).post(f"/api/v1/defects/{d.pk}/comments/", {"text": "x"}, format="json") \
        .status_code == 404  # staff-only members see no defects
    client = api_as(users["business"])
    assert client.post(f"/api/v1/defects/{d.pk}/comments/", {"text": "seen at branch"}, format="json") \
        .status_code == 201
    assert client.get(f"/api/v1/defects/{d.pk}/comments/").data[0]["text"] == "seen at branch"
    url = f"/api/v1/defects/{d.pk}/attachments/"
    disguised = client.post(url, {"file": SimpleUploadedFile("a.png", b"GIF89a....")}, format="multipart")
    assert disguised.status_code == 400 and "content is image/gif" in disguised.data["detail"]
    ok = client.post(url, {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
    assert ok.status_code == 201 and ok.data["content_type"] == "image/png"
    assert ok.data["url"].endswith(f"/attachments/{ok.data['id']}/")
    settings.UPLOAD_MAX_BYTES = 5
    big = client.post(url, {"file": SimpleUploadedFile("b.log", b"123456")}, format="multipart")
    assert big.status_code == 400
    assert DefectAttachment.objects.count() == 1


def test_test_cycles_and_cases_api(project, users, outsider):
    tester = api_as(users["tester"])
    created = tester.post("/api/v1/test-cases/", {"project": project.pk, "title": "Open account", "steps": "1.",
                                                  "expected_result": "ok", "kind": "functional"}, format="json")
    assert created.status_code == 201 and created.data["code"] == "TC-001"
    assert api_as(users["staff"]).post("/api/v1/test-cases/", {"project": project.pk, "title": "x", "steps": "1",
                                                               "expected_result": "y"}, format="json").status_code == 403
    cy = tester.post("/api/v1/test-cycles/", {"project": project.pk, "name": "SIT", "kind": "functional",
                                              "planned_start": "2027-01-01", "planned_end": "2027-01-10"},
                     format="json")
    assert cy.status_code == 201 and cy.data["total"] == 1 and cy.data["status"] == "planned"
    bad = tester.post("/api/v1/test-cycles/", {"project": project.pk, "name": "X", "planned_start": "2027-01-10",
                                               "planned_end": "2027-01-01"}, format="json")
    assert bad.status_code == 400 and "planned_end" in bad.data
    url = f"/api/v1/test-cycles/{cy.data['id']}/results/"
    rec = tester.post(url, {"case": created.data["id"], "status": "passed"}, format="json")
    assert rec.status_code == 200 and rec.data["status"] == "passed"
    assert api_as(users["developer"]).post(url, {"case": created.data["id"], "status": "failed", "note": "x"},
                                           format="json").status_code == 403
    listed = api_as(users["staff"]).get(url)
    assert listed.data["results"][0]["case_code"] == "TC-001"
    detail = api_as(users["staff"]).get(f"/api/v1/test-cycles/{cy.data['id']}/")
    assert detail.data["pass_rate"] == 100.0
    assert api_as(outsider).get(f"/api/v1/test-cycles/{cy.data['id']}/").status_code == 404
    assert api_as(outsider).get(f"/api/v1/test-cycles/?project={project.pk}").status_code == 404
    assert api_as().get("/api/v1/test-cycles/").status_code == 401
    assert TestCycle.objects.count() == 1


def test_defect_list_api_query_count_constant(project, users):
    client = api_as(users["manager"])
    cy = cycle(project, users["tester"])
    file_defect(project, users["tester"], assignee=users["developer"], cycle=cy)
    url = f"/api/v1/defects/?project={project.pk}&page_size=100"
    _, few = count_queries(lambda: client.get(url))
    for i in range(50):
        file_defect(project, users["tester"], assignee=member(project, "developer") if i % 10 == 0 else None,
                    cycle=cy)
    response, many = count_queries(lambda: client.get(url))
    assert response.data["count"] == 51 and few == many


def test_cycle_list_api_query_count_constant(project, users):
    client = api_as(users["manager"])
    case(project, users["tester"])
    cycle(project, users["tester"])
    _, few = count_queries(lambda: client.get("/api/v1/test-cycles/"))
    for i in range(20):
        cycle(project, users["tester"], name=f"c{i}")
    response, many = count_queries(lambda: client.get("/api/v1/test-cycles/?page_size=100"))
    assert response.data["count"] == 21 and few == many

