import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import Department, Membership, Milestone, OnCallShift, Project, Responsibility
from tests.projects.factories import (
    DepartmentFactory,
    MilestoneFactory,
    ProjectFactory,
    ShiftFactory,
    UserFactory,
    member,
)
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db


def _iso(dt):
    return dt.isoformat()


# --- auth ---------------------------------------------------------------------------------

def test_token_auth_round_trip():
    user = UserFactory(username="alice")
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "correct-horse-battery"},
                                format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert user.api_tokens.get().prefix == token[:8]  # only a digest is stored


def test_token_bad_password_is_400_or_401_with_message():
    UserFactory(username="bob")
    response = APIClient().post("/api/v1/auth/token/", {"username": "bob", "password": "nope"}, format="json")
    assert response.status_code in (400, 401)
    assert "detail" in response.json()


def test_anonymous_gets_401():
    response = APIClient().get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["detail"]


# --- projects -------------------------------------------------------------------------------

def test_staff_creates_project_and_becomes_manager():
    staff = UserFactory(is_staff=True)
    start = timezone.now() + timedelta(days=20)
    response = api_as(staff).post("/api/v1/projects/", {
        "name": "Cards", "code": "cards", "description": "", "go_live_at": _iso(start + timedelta(hours=6)),
        "window_start": _iso(start), "window_end": _iso(start + timedelta(hours=8)), "phase": "preparation",
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert isinstance(data["id"], int) and data["my_roles"] == ["manager"]
    assert Membership.objects.filter(project_id=data["id"], user=staff, role="manager").exists()


def test_non_staff_cannot_create_project():
    start = timezone.now()
    response = api_as(UserFactory()).post("/api/v1/projects/", {
        "name": "X", "code": "x", "go_live_at": _iso(start), "window_start": _iso(start),
        "window_end": _iso(start + timedelta(hours=1))}, format="json")
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_window_end_before_start_is_400_naming_the_field():
    staff = UserFactory(is_staff=True)
    start = timezone.now()
    response = api_as(staff).post("/api/v1/projects/", {
        "name": "X", "code": "x", "go_live_at": _iso(start), "window_start": _iso(start),
        "window_end": _iso(start - timedelta(hours=1))}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "window_end" in body and "after" in body["detail"]
    assert not Project.objects.exists() and not Membership.objects.exists()


def test_project_list_is_paginated_and_limited_to_membership(project, other_project, users):
    body = api_as(users["staff"]).get("/api/v1/projects/").json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert [p["id"] for p in body["results"]] == [project.pk]


def test_project_detail_non_member_404(project, outsider):
    assert api_as(outsider).get(f"/api/v1/projects/{project.pk}/").status_code == 404
    assert api_as(outsider).get("/api/v1/projects/999999/").status_code == 404


def test_project_update_manager_only(project, users):
    for role, user in users.items():
        response = api_as(user).patch(f"/api/v1/projects/{project.pk}/", {"description": f"by {role}"}, format="json")
        assert response.status_code == (200 if role == "manager" else 403), role
    project.refresh_from_db()
    assert project.description == "by manager"


def test_project_update_window_inverted_is_400(project, users):
    response = api_as(users["manager"]).patch(
        f"/api/v1/projects/{project.pk}/", {"window_end": _iso(project.window_start - timedelta(hours=1))},
        format="json")
    assert response.status_code == 400 and "window_end" in response.json()
    project.refresh_from_db()
    assert project.window_end > project.window_start


def test_project_list_query_count_constant(users, project):
    user = users["staff"]
    client = api_as(user)
    _, few = count_queries(lambda: client.get("/api/v1/projects/"))
    for _ in range(50):
        member(ProjectFactory(), "staff", user=user)
    response, many = count_queries(lambda: client.get("/api/v1/projects/?page_size=100"))
    assert response.json()["count"] == 51 and few == many


# --- members --------------------------------------------------------------------------------

def test_members_permission_matrix(project, users, outsider):
    url = f"/api/v1/projects/{project.pk}/members/"
    assert APIClient().get(url).status_code == 401
    assert api_as(outsider).get(url).status_code == 404
    assert api_as(outsider).post(url, {"user": outsider.pk, "role": "staff"}, format="json").status_code == 404
    for role, user in users.items():
        assert api_as(user).get(url).status_code == 200
        newcomer = UserFactory()
        response = api_as(user).post(url, {"user": newcomer.pk, "role": "staff"}, format="json")
        assert response.status_code == (201 if role == "manager" else 403), role


def test_add_member_and_errors(project, users):
    url = f"/api/v1/projects/{project.pk}/members/"
    client = api_as(users["manager"])
    newcomer = UserFactory()
    response = client.post(url, {"user": newcomer.pk, "role": "tester"}, format="json")
    assert response.status_code == 201 and response.json()["user"] == newcomer.pk
    before = Membership.objects.count()
    dup = client.post(url, {"user": newcomer.pk, "role": "tester"}, format="json")
    assert dup.status_code == 400 and "role" in dup.json() and "already" in dup.json()["detail"]
    bad_role = client.post(url, {"user": newcomer.pk, "role": "wizard"}, format="json")
    assert bad_role.status_code == 400 and "role" in bad_role.json()
    bad_user = client.post(url, {"user": 999999, "role": "staff"}, format="json")
    assert bad_user.status_code == 400 and "user" in bad_user.json()
    foreign_dept = DepartmentFactory()
    bad_dept = client.post(url, {"user": newcomer.pk, "role": "ops", "department": foreign_dept.pk}, format="json")
    assert bad_dept.status_code == 400 and "department" in bad_dept.json()
    assert Membership.objects.count() == before


def test_member_patch_and_delete(project, users):
    client = api_as(users["manager"])
    membership = Membership.objects.get(project=project, user=users["staff"])
    url = f"/api/v1/projects/{project.pk}/members/{membership.pk}/"
    assert client.patch(url, {"job_title": "Teller"}, format="json").status_code == 200
    membership.refresh_from_db()
    assert membership.job_title == "Teller"
    assert api_as(users["staff"]).delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_members_query_count_constant(project, users):
    client = api_as(users["manager"])
    url = f"/api/v1/projects/{project.pk}/members/?page_size=100"
    _, few = count_queries(lambda: client.get(url))
    for _ in range(50):
        member(project, "staff")
    response, many = count_queries(lambda: client.get(url))
    assert response.json()["count"] == 57 and few == many


# --- departments, milestones, responsibilities, shifts ----------------------------------------

def test_departments_crud_and_scoping(project, other_project, users, outsider):
    client = api_as(users["manager"])
    response = client.post("/api/v1/departments/", {"project": project.pk, "name": "Retail"}, format="json")
    assert response.status_code == 201
    dup = client.post("/api/v1/departments/", {"project": project.pk, "name": "Retail"}, format="json")
    assert dup.status_code == 400 and "name" in dup.json()
    assert api_as(users["tester"]).post("/api/v1/departments/", {"project": project.pk, "name": "X"},
                                        format="json").status_code == 403
    assert api_as(outsider).post("/api/v1/departments/", {"project": project.pk, "name": "X"},
                                 format="json").status_code == 404
    DepartmentFactory(project=other_project, name="Hidden")
    names = [d["name"] for d in api_as(users["staff"]).get(f"/api/v1/departments/?project={project.pk}").json()["results"]]
    assert names == ["Retail"]
    dept_id = response.json()["id"]
    assert api_as(outsider).get(f"/api/v1/departments/{dept_id}/").status_code == 404
    assert Department.objects.filter(project=project).count() == 1


def test_milestones_api(project, users, outsider):
    client = api_as(users["manager"])
    payload = {"project": project.pk, "name": "SIT done", "planned_date": str(timezone.localdate())}
    response = client.post("/api/v1/milestones/", payload, format="json")
    assert response.status_code == 201 and response.json()["done"] is False
    mid = response.json()["id"]
    assert client.patch(f"/api/v1/milestones/{mid}/", {"actual_date": str(timezone.localdate())},
                        format="json").json()["done"] is True
    assert api_as(users["business"]).patch(f"/api/v1/milestones/{mid}/", {"name": "x"},
                                           format="json").status_code == 403
    assert api_as(outsider).get(f"/api/v1/milestones/{mid}/").status_code == 404
    bad = client.post("/api/v1/milestones/", {"project": project.pk, "name": "X"}, format="json")
    assert bad.status_code == 400 and "planned_date" in bad.json()
    assert Milestone.objects.count() == 1


def test_milestones_list_query_count_constant(project, users):
    client = api_as(users["staff"])
    MilestoneFactory(project=project)
    _, few = count_queries(lambda: client.get("/api/v1/milestones/?page_size=100"))
    for _ in range(49):
        MilestoneFactory(project=project, owner=users["manager"])
    _, many = count_queries(lambda: client.get("/api/v1/milestones/?page_size=100"))
    assert few == many


def test_responsibilities_api(project, users):
    client = api_as(users["manager"])
    response = client.post("/api/v1/responsibilities/", {"project": project.pk, "area": "Cutover",
                                                         "user": users["ops"].pk, "raci": "A"}, format="json")
    assert response.status_code == 201
    bad = client.post("/api/v1/responsibilities/", {"project": project.pk, "area": "Cutover",
                                                    "user": users["ops"].pk, "raci": "Q"}, format="json")
    assert bad.status_code == 400 and "raci" in bad.json()
    assert api_as(users["ops"]).post("/api/v1/responsibilities/", {"project": project.pk, "area": "X",
                                                                   "user": users["ops"].pk, "raci": "R"},
                                     format="json").status_code == 403
    assert Responsibility.objects.count() == 1


def test_shifts_api_ops_may_write(project, users, outsider):
    start = project.window_start
    payload = {"project": project.pk, "user": users["ops"].pk, "starts_at": _iso(start),
               "ends_at": _iso(start + timedelta(hours=12))}
    assert api_as(users["ops"]).post("/api/v1/shifts/", payload, format="json").status_code == 201
    assert api_as(users["staff"]).post("/api/v1/shifts/", payload, format="json").status_code == 403
    assert api_as(outsider).post("/api/v1/shifts/", payload, format="json").status_code == 404
    bad = api_as(users["ops"]).post("/api/v1/shifts/", {**payload, "ends_at": _iso(start)}, format="json")
    assert bad.status_code == 400 and "ends_at" in bad.json()
    assert OnCallShift.objects.count() == 1


def test_shifts_list_query_count_constant(project, users):
    client = api_as(users["staff"])
    ShiftFactory(project=project, user=users["ops"])
    _, few = count_queries(lambda: client.get("/api/v1/shifts/?page_size=100"))
    for i in range(49):
        ShiftFactory(project=project, user=users["ops"], starts_at=project.window_start + timedelta(hours=12 * (i + 1)))
    _, many = count_queries(lambda: client.get("/api/v1/shifts/?page_size=100"))
    assert few == many


# --- readiness --------------------------------------------------------------------------------

def test_readiness_contract(project, users, outsider):
    response = api_as(users["staff"]).get(f"/api/v1/projects/{project.pk}/readiness/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"score", "ready", "criteria"}
    assert 0 <= body["score"] <= 100
    keys = {c["key"] for c in body["criteria"]}
    assert {"rota_gaps", "raci_accountable"} <= keys
    for c in body["criteria"]:
        assert set(c) >= {"key", "label", "value", "target", "passed"}
    assert body["ready"] is False  # no rota, no RACI yet
    assert api_as(outsider).get(f"/api/v1/projects/{project.pk}/readiness/").status_code == 404


def test_page_size_capped_at_100(users, project):
    for _ in range(3):
        member(ProjectFactory(), "staff", user=users["staff"])
    body = api_as(users["staff"]).get("/api/v1/projects/?page_size=1000").json()
    assert body["count"] == 4 and len(body["results"]) == 4


def test_schema_and_docs_served(users):
    client = APIClient()
    client.force_login(users["staff"])
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and not re.search(rb"""(?:src|href)=["'](?:https?:)?//""", docs.content)
