"""/api/v1/feedback/ (staff see their own, managers all; triage and answer actions) and incidents
through /api/v1/defects/?found_in=hypercare."""

import pytest

from defects.models import Defect
from hypercare import services as fs
from hypercare.models import Feedback
from tests.defects.factories import PNG, file_defect, upload
from tests.projects.factories import member
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback/"
ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]


def feedback(project, user, text="Slow search", category="usability"):
    return fs.feedback_submit(actor=user, project=project, category=category, text=text)


def test_anonymous_is_401(project):
    assert api_as().get(URL).status_code == 401
    assert api_as().post(URL, {"project": project.pk, "category": "bug", "text": "x"}).status_code == 401


def test_every_member_submits(project, users, outsider):
    for role in ROLES:
        response = api_as(users[role]).post(URL, {"project": project.pk, "category": "feature",
                                                  "text": f"from {role}"}, format="json")
        assert response.status_code == 201, role
        body = response.json()
        assert body["status"] == "new" and body["submitter"] == users[role].pk and body["key"].startswith("F-")
    assert api_as(outsider).post(URL, {"project": project.pk, "category": "bug", "text": "x"},
                                 format="json").status_code == 404


def test_submit_with_screenshot_multipart(project, users):
    response = api_as(users["staff"]).post(URL, {"project": project.pk, "category": "bug", "text": "see picture",
                                                 "screenshot": upload("s.png", PNG)}, format="multipart")
    assert response.status_code == 201 and response.json()["has_screenshot"] is True


@pytest.mark.parametrize("body,field", [
    ({"category": "complaint", "text": "x"}, "category"),
    ({"category": "bug", "text": ""}, "text"),
    ({"category": "bug"}, "text"),
])
def test_bad_input_is_400_and_nothing_saved(project, users, body, field):
    response = api_as(users["staff"]).post(URL, {"project": project.pk, **body}, format="json")
    assert response.status_code == 400 and field in str(response.json())
    assert not Feedback.objects.exists()


def test_staff_see_only_their_own_managers_all(project, users, other_project, outsider):
    mine = feedback(project, users["staff"], text="mine")
    colleague = member(project, "staff")
    theirs = feedback(project, colleague, text="theirs")
    feedback(other_project, outsider, text="elsewhere")
    ids = [r["id"] for r in api_as(users["staff"]).get(URL).json()["results"]]
    assert ids == [mine.pk]
    assert api_as(users["staff"]).get(f"{URL}{theirs.pk}/").status_code == 404
    assert {r["id"] for r in api_as(users["manager"]).get(URL, {"project": project.pk}).json()["results"]} == {
        mine.pk, theirs.pk}
    assert api_as(users["manager"]).get(URL, {"project": other_project.pk}).status_code == 404
    assert api_as(outsider).get(f"{URL}{mine.pk}/").status_code == 404


def test_triage_action(project, users):
    f = feedback(project, users["staff"], category="bug", text="Printer prints old branch code")
    url = f"{URL}{f.pk}/triage/"
    assert api_as(users["staff"]).post(url, {"outcome": "closed", "answer": "no"}, format="json").status_code == 403
    bad = api_as(users["manager"]).post(url, {"outcome": "closed"}, format="json")
    assert bad.status_code == 400 and "answer" in str(bad.json())
    assert api_as(users["manager"]).post(url, {"outcome": "bin"}, format="json").status_code == 400
    response = api_as(users["manager"]).post(url, {"outcome": "defect", "severity": "critical"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "defect" and body["status"] == "triaged" and body["defect_key"].startswith("D-")
    assert Defect.objects.get(pk=body["defect"]).severity == "critical"
    again = api_as(users["manager"]).post(url, {"outcome": "closed", "answer": "x"}, format="json")
    assert again.status_code == 400 and "already triaged" in str(again.json())
    answered = api_as(users["manager"]).post(f"{URL}{f.pk}/answer/", {"answer": "Fixed in 2.6"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert api_as(users["staff"]).get(f"{URL}{f.pk}/").json()["answer"] == "Fixed in 2.6"


def test_list_query_count_does_not_grow(project, users):
    feedback(project, users["staff"])
    client = api_as(users["manager"])
    _r, one = count_queries(lambda: client.get(URL, {"project": project.pk}))
    for i in range(49):
        f = feedback(project, member(project, "staff"), text=f"n{i}")
        if i % 3 == 0:
            fs.feedback_triage(actor=users["manager"], feedback=f, outcome="defect")
    response, fifty = count_queries(lambda: client.get(URL, {"project": project.pk}))
    assert response.json()["count"] == 50 and fifty == one


def test_incidents_filter_on_the_defects_api(project, users):
    incident = file_defect(project, users["tester"], found_in="hypercare", customers_affected=12)
    file_defect(project, users["tester"], found_in="testing")
    rows = api_as(users["manager"]).get("/api/v1/defects/", {"project": project.pk, "found_in": "hypercare"}).json()
    assert [r["id"] for r in rows["results"]] == [incident.pk] and rows["results"][0]["customers_affected"] == 12


def test_schema_documents_the_feedback_endpoints(users):
    schema = api_as(users["manager"]).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"] if schema["Content-Type"].startswith("application/json") else {}
    text = schema.content.decode()
    assert "/api/v1/feedback/{id}/triage/" in (paths or text)


def test_feedback_page_url_keeps_only_site_paths(project, users):
    from tests.utils import api_as

    client = api_as(users["staff"])
    for evil in ("/\\evil.example/login", "//evil.example", "https://evil.example"):
        response = client.post("/api/v1/feedback/", {"project": project.pk, "category": "bug", "text": "x",
                                                     "page_url": evil}, format="json")
        assert response.status_code == 201
        from hypercare.models import Feedback

        assert Feedback.objects.get(pk=response.json()["id"]).page_url == ""
