"""GET /api/v1/me/work/?project=<id>: the caller's own open work, most urgent first (Wave 2 contract)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from defects.models import Defect, Status
from tests.defects.factories import defect_in
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/work/"


def _fix(project, users, n=1, hours=(None,)):
    now = timezone.now()
    out = []
    for i in range(n):
        d = defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"], title=f"Bug {i}")
        h = hours[i % len(hours)]
        Defect.objects.filter(pk=d.pk).update(fix_due_at=now + timedelta(hours=h) if h is not None else None)
        out.append(d)
    return out


def test_anonymous_is_401(project):
    response = api_as(None).get(URL, {"project": project.pk})
    assert response.status_code == 401 and response.json()["detail"]


@pytest.mark.parametrize("role", ["manager", "developer", "tester", "business", "ops", "trainer", "staff"])
def test_every_member_gets_their_own_list(project, users, role):
    response = api_as(users[role]).get(URL, {"project": project.pk})
    assert response.status_code == 200 and set(response.json()) == {"items", "totals"}


def test_another_projects_member_and_an_unknown_project_are_404(project, users, outsider):
    _fix(project, users)
    assert api_as(outsider).get(URL, {"project": project.pk}).status_code == 404
    assert api_as(users["developer"]).get(URL, {"project": 10**9}).status_code == 404


@pytest.mark.parametrize("value", [None, "", "abc", "1.5", "-3", "0", str(2**70)])
def test_project_missing_or_not_an_id_is_400_naming_it(users, value):
    params = {} if value is None else {"project": value}
    response = api_as(users["developer"]).get(URL, params)
    assert response.status_code == 400 and "project" in response.json()


def test_shape_and_most_urgent_first(project, users):
    later, none, sooner = _fix(project, users, n=3, hours=(30, None, 2))
    body = api_as(users["developer"]).get(URL, {"project": project.pk}).json()
    assert [i["id"] for i in body["items"]] == [sooner.pk, later.pk, none.pk]  # no due date last
    first = body["items"][0]
    assert set(first) == {"kind", "id", "title", "url", "due_at"}
    assert first["kind"] == "defect_to_fix" and first["title"] == f"{sooner.key} Bug 2"
    assert first["url"] == f"/projects/{project.pk}/testing/defects/{sooner.pk}/"
    sooner.refresh_from_db()
    assert parse_datetime(first["due_at"]) == sooner.fix_due_at
    assert body["items"][2]["due_at"] is None
    assert body["totals"] == {"defect_to_fix": 3}


def test_only_the_callers_own_work(project, users):
    _fix(project, users)
    assert api_as(users["ops"]).get(URL, {"project": project.pk}).json() == {"items": [], "totals": {}}


def test_query_count_is_the_same_for_1_item_and_50(project, users):
    client = api_as(users["developer"])
    _fix(project, users)
    _, few = count_queries(lambda: client.get(URL, {"project": project.pk}))
    _fix(project, users, n=49, hours=(5, None))
    response, many = count_queries(lambda: client.get(URL, {"project": project.pk}))
    assert response.status_code == 200 and len(response.json()["items"]) == 50 and few == many


def test_schema_documents_the_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/v1/me/work/"]["get"]
    assert {p["name"]: p["required"] for p in op["parameters"]}["project"] is True
    assert {"200", "400", "401", "404"} <= set(op["responses"])
