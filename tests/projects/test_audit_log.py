"""The project-wide audit log: every historical record becomes an entry (who, when, what changed),
many-to-many links included (step dependencies, case ↔ requirement links, survey departments,
meeting attendees); the managers' page (filters, htmx partial), the CSV export and
`GET /api/v1/audit/`; append-only; permissions; constant query counts."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import AuditEntry, Department
from readiness import services as readiness_services
from tests.projects.factories import member
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db


def entries(project, model):
    return list(AuditEntry.objects.filter(project=project, model=model).order_by("at", "id"))


def test_a_change_is_logged_with_who_and_what(project, users):
    risk = readiness_services.risk_create(actor=users["manager"], project=project, title="=SUM(A1)", category="data",
                                          likelihood=2, impact=3, owner=users["ops"])
    readiness_services.risk_update(actor=users["ops"], risk=risk, impact=5)
    created, changed = entries(project, "readiness.risk")
    assert (created.action, created.actor, created.object_id) == ("+", users["manager"], str(risk.pk))
    assert created.changes["title"] == [None, "=SUM(A1)"] and created.changes["owner"] == [None, users["ops"].pk]
    assert changed.actor == users["ops"] and changed.changes == {"impact": [3, 5], "score": [6, 10]}


def test_step_dependencies_are_logged(project, users):
    from tasks import services as tasks_services

    runbook = tasks_services.runbook_create(actor=users["ops"], project=project, name="Cutover")
    a = tasks_services.step_create(actor=users["ops"], runbook=runbook, title="Stop batch", category="deployment",
                                   planned_minutes=10)
    b = tasks_services.step_create(actor=users["ops"], runbook=runbook, title="Migrate", category="data_migration",
                                   planned_minutes=30, depends_on=[a])
    tasks_services.step_update(actor=users["ops"], step=b, depends_on=[])
    linked = [e.changes["depends_on"] for e in entries(project, "tasks.step") if "depends_on" in e.changes]
    assert [a.pk] in [new for _old, new in linked] and [[a.pk], []] in linked


def test_case_requirement_links_are_logged(project, users):
    from defects.models import TestCase
    from requirements.models import Requirement

    req = Requirement.objects.create(project=project, number=1, code="REQ-1", title="Interest", priority="must",
                                     author=users["business"])
    case = TestCase.objects.create(project=project, code="TC-1", title="Interest", steps="s", expected_result="e")
    case._history_user = users["tester"]
    case.requirements.add(req)
    logged = [e for e in entries(project, "defects.testcase") if "requirements" in e.changes]
    assert logged and logged[-1].changes["requirements"] == [[], [req.pk]] and logged[-1].actor == users["tester"]


def test_survey_departments_are_logged(project, users):
    from requirements.models import Survey

    d1 = Department.objects.create(project=project, name="Retail")
    survey = Survey.objects.create(project=project, title="Counter needs", owner=users["business"])
    survey.departments.set([d1])
    logged = [e for e in entries(project, "requirements.survey") if "departments" in e.changes]
    assert logged[-1].changes["departments"] == [[], [d1.pk]]


def test_meeting_attendees_are_logged(project, users):
    m = readiness_services.meeting_create(actor=users["manager"], project=project, kind="review", title="R",
                                          held_at=timezone.now(), attendees=[users["ops"]])
    readiness_services.meeting_update(actor=users["manager"], meeting=m, attendees=[users["ops"], users["tester"]])
    linked = [e.changes["attendees"] for e in entries(project, "readiness.meeting") if "attendees" in e.changes]
    assert linked[-1] == [[users["ops"].pk], sorted([users["ops"].pk, users["tester"].pk])]


def test_entries_of_another_project_stay_there(project, other_project, users, outsider):
    readiness_services.risk_create(actor=outsider, project=other_project, title="x", category="data", likelihood=1,
                                   impact=1, owner=outsider)
    assert not AuditEntry.objects.filter(project=project, model="readiness.risk").exists()


# ----- page and CSV --------------------------------------------------------------------------------

def test_page_permission_matrix(client, project, users, outsider):
    url = reverse("projects:audit", args=[project.pk])
    csv_url = reverse("projects:audit_csv", args=[project.pk])
    assert client.get(url).status_code == 302
    for role in users:
        client.force_login(users[role])
        expected = 200 if role == "manager" else 403
        assert client.get(url).status_code == expected and client.get(csv_url).status_code == expected, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404 and client.get(csv_url).status_code == 404


def test_page_filters_and_partial(client, project, users):
    readiness_services.risk_create(actor=users["manager"], project=project, title="Link down", category="network",
                                   likelihood=1, impact=1, owner=users["ops"])
    readiness_services.meeting_create(actor=users["manager"], project=project,
                                      kind="review", title="Weekly", held_at=timezone.now())
    client.force_login(users["manager"])
    url = reverse("projects:audit", args=[project.pk])
    full = client.get(url).content.decode()
    assert "<html" in full and "Link down" in full and "Weekly" in full
    part = htmx(client, url + "?model=readiness.risk").content.decode()
    assert "<html" not in part and "Link down" in part and "Weekly" not in part
    assert "Link down" not in htmx(client, url + f"?actor={users['ops'].username}").content.decode()
    assert "Link down" not in htmx(client, url + "?since=2999-01-01").content.decode()
    assert client.get(url + "?since=junk&page=x").status_code == 200  # bad filters are ignored on the page


def test_csv_export_neutralises_and_keeps_chinese(client, project, users):
    readiness_services.risk_create(actor=users["manager"], project=project, title="=HYPERLINK(1) 数据泄露",
                                   category="data", likelihood=1, impact=1, owner=users["ops"])
    client.force_login(users["manager"])
    response = client.get(reverse("projects:audit_csv", args=[project.pk]) + "?model=readiness.risk")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "When" and len(rows) == 2
    assert rows[1][1] == users["manager"].username and rows[1][6].startswith("'=HYPERLINK") and "数据泄露" in rows[1][8]


def test_page_query_count_is_constant(client, project, users):
    client.force_login(users["manager"])
    url = reverse("projects:audit", args=[project.pk])
    readiness_services.risk_create(actor=users["manager"], project=project, title="r", category="data",
                                   likelihood=1, impact=1, owner=users["ops"])
    _, one = count_queries(lambda: client.get(url))
    for i in range(49):
        readiness_services.risk_create(actor=users["manager"], project=project,
                                       title=f"r{i}", category="data", likelihood=1, impact=1, owner=users["ops"])
    _, fifty = count_queries(lambda: client.get(url))
    assert one == fifty


# ----- API -------------------------------------------------------------------------------------------

def test_api_lists_and_filters(project, users):
    risk = readiness_services.risk_create(actor=users["manager"], project=project, title="r", category="data",
                                          likelihood=1, impact=1, owner=users["ops"])
    readiness_services.risk_update(actor=users["ops"], risk=risk, impact=2)
    client = api_as(users["manager"])
    data = client.get(f"/api/v1/audit/?project={project.pk}&model=readiness.risk").json()
    assert data["count"] == 2 and set(data["results"][0]) >= {"at", "actor", "model", "object_id", "changes"}
    assert data["results"][0]["changes"] == {"impact": [1, 2], "score": [1, 2]}
    mine = client.get(f"/api/v1/audit/?project={project.pk}&actor={users['ops'].pk}").json()
    assert mine["count"] == 1
    csv_body = b"".join(client.get(f"/api/v1/audit.csv?project={project.pk}&model=readiness.risk")
                        .streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(csv_body)))) == 3


def test_api_permissions_and_bad_input(project, users, outsider):
    assert api_as().get(f"/api/v1/audit/?project={project.pk}").status_code in (401, 403)
    assert api_as(users["ops"]).get(f"/api/v1/audit/?project={project.pk}").status_code == 403
    assert api_as(outsider).get(f"/api/v1/audit/?project={project.pk}").status_code == 404
    assert api_as(outsider).get(f"/api/v1/audit.csv?project={project.pk}").status_code == 404
    client = api_as(users["manager"])
    assert "project" in client.get("/api/v1/audit/").json()
    assert client.get("/api/v1/audit/?project=abc").status_code == 404
    r = client.get(f"/api/v1/audit/?project={project.pk}&since=yesterday")
    assert r.status_code == 400 and "since" in r.json()
    assert client.get(f"/api/v1/audit/?project={project.pk}&action=x").status_code == 400


def test_append_only(project, users):
    readiness_services.risk_create(actor=users["manager"], project=project, title="r", category="data",
                                   likelihood=1, impact=1, owner=users["ops"])
    client = api_as(users["manager"])
    entry = AuditEntry.objects.filter(project=project).first()
    assert client.post("/api/v1/audit/", {"project": project.pk}, format="json").status_code == 405
    assert client.delete(f"/api/v1/audit/{entry.pk}/").status_code in (404, 405)
    from django.contrib.admin.sites import site

    admin = site._registry[AuditEntry]
    superuser = member(project, "manager")
    superuser.is_superuser = True

    class Request:
        user = superuser

    assert not admin.has_add_permission(Request()) and not admin.has_change_permission(Request(), entry)
    assert not admin.has_delete_permission(Request(), entry)


def test_api_query_count_is_constant(project, users):
    client = api_as(users["manager"])
    readiness_services.risk_create(actor=users["manager"], project=project, title="r", category="data",
                                   likelihood=1, impact=1, owner=users["ops"])
    _, one = count_queries(lambda: client.get(f"/api/v1/audit/?project={project.pk}"))
    for i in range(49):
        readiness_services.risk_create(actor=users["manager"], project=project, title=f"r{i}", category="data",
                                       likelihood=1, impact=1, owner=users["ops"])
    _, fifty = count_queries(lambda: client.get(f"/api/v1/audit/?project={project.pk}&page_size=100"))
    assert one == fifty
