"""Project from a template over the API (`POST /api/v1/projects/{id}/clone/`) and its page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import Project
from tasks.models import Runbook, Step
from tests.projects.factories import UserFactory, member
from tests.tasks.factories import runbook, step
from tests.utils import api_as, htmx

pytestmark = pytest.mark.django_db


def _body(**overrides):
    start = (timezone.now() + timedelta(days=60)).replace(microsecond=0)
    return {"name": "Loans rollout", "code": "loans-2", "go_live_at": (start + timedelta(hours=6)).isoformat(),
            "window_start": start.isoformat(), "window_end": (start + timedelta(hours=8)).isoformat(), **overrides}


@pytest.fixture
def staff_pm(project):
    return member(project, "manager", user=UserFactory(username="staff-pm", is_staff=True))


@pytest.fixture
def with_runbook(project, staff_pm):
    rb = runbook(project, staff_pm, name="Cutover")
    first = step(rb, staff_pm, "Stop batch", 20)
    step(rb, staff_pm, "Deploy", 30, deps=[first])
    return rb


def _url(project):
    return f"/api/v1/projects/{project.pk}/clone/"


def test_staff_manager_clones_201(project, staff_pm, with_runbook):
    response = api_as(staff_pm).post(_url(project), _body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["code"] == "loans-2" and data["my_roles"] == ["manager"] and data["phase"] == "preparation"
    new = Project.objects.get(pk=data["id"])
    assert Step.objects.filter(runbook__project=new).count() == 2
    assert Step.objects.get(runbook__project=new, title="Deploy").depends_on.get().title == "Stop batch"


def test_permission_matrix(project, users, outsider, staff_pm):
    assert api_as().post(_url(project), _body(), format="json").status_code == 401
    for role, user in users.items():  # the manager of `users` is not staff: 403 like the other roles
        user.is_staff = True if role != "manager" else False
        user.save()
        response = api_as(user).post(_url(project), _body(), format="json")
        assert response.status_code == 403, role
        assert response.json()["detail"]
    outsider.is_staff = True
    outsider.save()
    assert api_as(outsider).post(_url(project), _body(), format="json").status_code == 404
    assert api_as(staff_pm).post("/api/v1/projects/999999/clone/", _body(), format="json").status_code == 404
    assert Project.objects.filter(code="loans-2").count() == 0


def test_get_is_405(project, staff_pm):
    assert api_as(staff_pm).get(_url(project)).status_code == 405


@pytest.mark.parametrize(("overrides", "field"), [
    ({"code": "taken"}, "code"),
    ({"code": "not a slug!"}, "code"),
    ({"name": "x" * 201}, "name"),
    ({"window_end": "2020-01-01T00:00:00Z"}, "window_end"),
    ({"go_live_at": "yesterday"}, "go_live_at"),
    ({"go_live_at": "2020-01-01T00:00:00Z"}, "go_live_at"),
])
def test_bad_input_400_and_nothing_saved(project, staff_pm, with_runbook, overrides, field):
    member(project.__class__.objects.create(
        name="Taken", code="taken", go_live_at=project.go_live_at, window_start=project.window_start,
        window_end=project.window_end), "manager")
    before = (Project.objects.count(), Runbook.objects.count(), Step.objects.count())
    response = api_as(staff_pm).post(_url(project), _body(**overrides), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and field in body, body
    assert (Project.objects.count(), Runbook.objects.count(), Step.objects.count()) == before


def test_missing_fields_400(project, staff_pm):
    response = api_as(staff_pm).post(_url(project), {}, format="json")
    assert response.status_code == 400
    assert {"name", "code", "go_live_at", "window_start", "window_end"} <= set(response.json())


# ----- the page ---------------------------------------------------------------------------------

def test_page_shows_what_will_be_copied(client, project, staff_pm, with_runbook):
    client.force_login(staff_pm)
    response = client.get(f"/projects/{project.pk}/clone/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "What will be copied" in text and "Runbooks and their steps" in text and "What will not be copied" in text
    home = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"/projects/{project.pk}/clone/" in home


def test_page_creates_the_project_and_redirects(client, project, staff_pm, with_runbook):
    client.force_login(staff_pm)
    start = timezone.localtime() + timedelta(days=40)
    form = {"name": "Loans rollout", "code": "loans-3", "go_live_at": (start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
            "window_start": start.strftime("%Y-%m-%dT%H:%M"), "window_end": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")}
    response = client.post(f"/projects/{project.pk}/clone/", form)
    new = Project.objects.get(code="loans-3")
    assert response.status_code == 302 and response["Location"] == f"/projects/{new.pk}/"
    assert Runbook.objects.filter(project=new).count() == 1


def test_page_shows_the_service_error_on_the_field(client, project, staff_pm):
    client.force_login(staff_pm)
    start = timezone.localtime() + timedelta(days=40)
    form = {"name": "Again", "code": project.code, "go_live_at": start.strftime("%Y-%m-%dT%H:%M"),
            "window_start": start.strftime("%Y-%m-%dT%H:%M"), "window_end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    count = Project.objects.count()
    response = client.post(f"/projects/{project.pk}/clone/", form)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Project.objects.count() == count


def test_page_permission_matrix(client, project, users, outsider, staff_pm):
    url = f"/projects/{project.pk}/clone/"
    assert client.get(url).status_code == 302  # to the login page
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == 403, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(staff_pm)
    assert htmx(client, url).status_code == 200
