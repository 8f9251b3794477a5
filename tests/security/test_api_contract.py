"""Issue 16, points 4 and 5: no 500 for bad requests, JSON everywhere under /api/, no existence oracle."""

from datetime import date

import pytest
from django.urls import reverse

from hypercare import services as hypercare_services
from projects import services as project_services
from projects.models import Department, Milestone
from tests.defects.factories import case, cycle, file_defect
from tests.projects.factories import ProjectFactory, member
from tests.training.factories import make_course, make_session

pytestmark = pytest.mark.django_db

CATEGORY = "bug"


@pytest.fixture
def objects(project, users):
    course = make_course(project, users["trainer"])
    return {
        "defects": file_defect(project, users["tester"]).pk,
        "test-cycles": cycle(project, users["tester"]).pk,
        "test-cases": case(project, users["tester"]).pk,
        "training/courses": course.pk,
        "feedback": hypercare_services.feedback_submit(
            actor=users["staff"], project=project, category=CATEGORY, text="The deposit screen is slow").pk,
        "session": make_session(course, users["trainer"]).pk,
    }


@pytest.mark.parametrize("resource", ["defects", "test-cycles", "test-cases", "training/courses", "feedback"])
def test_delete_of_a_resource_without_delete_is_405_json(api, users, objects, resource):
    api.force_authenticate(users["manager"])
    response = api.delete(f"/api/v1/{resource}/{objects[resource]}/")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


@pytest.mark.parametrize("resource", ["test-cases", "feedback"])
def test_put_is_never_a_server_error(api, users, objects, resource):
    api.force_authenticate(users["manager"])
    response = api.put(f"/api/v1/{resource}/{objects[resource]}/", {"title": "x"}, format="json")
    assert response.status_code in (200, 400, 403, 405)
    assert response.json()["detail"] or response.status_code == 200


def test_a_pk_that_is_not_a_number_is_a_json_404(api, users):
    api.force_authenticate(users["tester"])
    response = api.get("/api/v1/test-cases/abc/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_unknown_api_route_is_a_json_404(api, users):
    api.force_authenticate(users["tester"])
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_body_over_the_limit_is_a_json_413_and_nothing_is_saved(api, users, project, settings):
    settings.API_MAX_BODY_BYTES = 1000
    api.force_authenticate(users["manager"])
    response = api.post("/api/v1/departments/", {"project": project.pk, "name": "x" * 2000}, format="json")
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    assert not Department.objects.filter(project=project).exists()


def test_session_capacity_out_of_range_is_a_400_naming_the_field(api, users, project, objects):
    api.force_authenticate(users["trainer"])
    response = api.patch(f"/api/v1/training/sessions/{objects['session']}/", {"capacity": 10**12}, format="json")
    assert response.status_code == 400 and "capacity" in response.json()


def test_string_over_the_model_length_is_a_400(api, users, project):
    api.force_authenticate(users["manager"])
    response = api.post("/api/v1/milestones/", {"project": project.pk, "name": "x" * 300,
                                                "planned_date": "2027-01-01"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not Milestone.objects.filter(project=project).exists()


def test_a_year_no_bank_means_is_a_400(api, users, project):
    api.force_authenticate(users["manager"])
    response = api.post("/api/v1/milestones/", {"project": project.pk, "name": "Old", "planned_date": "0309-10-02"},
                        format="json")
    assert response.status_code == 400 and "planned_date" in response.json()


def test_256_character_username_is_a_4xx_on_the_token_endpoint_and_the_login_page(client, api):
    response = api.post("/api/v1/auth/token/", {"username": "u" * 256, "password": "x"}, format="json")
    assert response.status_code == 400 and "username" in response.json()
    login = client.post(reverse("login"), {"username": "u" * 256, "password": "x"})
    assert login.status_code == 200 and "correct username and password" in login.content.decode()


def test_every_method_the_schema_documents_has_a_handler():
    from rest_framework.viewsets import ViewSetMixin

    from config.api import router

    for prefix, viewset, _basename in router.registry:
        view = viewset()
        for method in view.allowed_methods:
            if method in ("OPTIONS", "HEAD"):
                continue
            if method in ("PUT", "PATCH"):
                assert hasattr(viewset, "update"), (prefix, method)
                if viewset.update.__qualname__.startswith("ProjectScopedViewSet"):
                    assert callable(getattr(viewset, "perform_service_update", None)), (prefix, method)
            if method == "DELETE" and viewset.destroy.__qualname__.startswith("ProjectScopedViewSet"):
                assert callable(getattr(viewset, "perform_service_destroy", None)), prefix
        assert issubclass(viewset, ViewSetMixin)


# --- existence oracles ------------------------------------------------------------------------

@pytest.mark.parametrize("resource", ["departments", "milestones", "responsibilities", "shifts", "defects",
                                      "test-cases", "requirements", "work-items", "training/courses"])
def test_project_filter_answers_the_same_for_missing_and_invisible_projects(api, outsider, project, resource):
    api.force_authenticate(outsider)
    invisible = api.get(f"/api/v1/{resource}/", {"project": project.pk})
    missing = api.get(f"/api/v1/{resource}/", {"project": 999999})
    junk = api.get(f"/api/v1/{resource}/", {"project": "abc"})
    assert invisible.status_code == missing.status_code == junk.status_code == 404
    assert invisible.json() == missing.json() == junk.json()


def test_a_foreign_key_to_an_invisible_object_reads_like_a_missing_one(api, users, project):
    other = ProjectFactory()
    foreign = project_services.department_create(actor=member(other, "manager"), project=other, name="Treasury")
    api.force_authenticate(users["business"])
    base = {"project": project.pk, "title": "Month-end", "description": "d", "acceptance_criteria": "a"}
    to_foreign = api.post("/api/v1/requirements/", {**base, "department": foreign.pk}, format="json")
    to_missing = api.post("/api/v1/requirements/", {**base, "department": 999999}, format="json")
    assert to_foreign.status_code == to_missing.status_code == 400
    assert to_foreign.json()["department"][0].replace(str(foreign.pk), "N") == \
        to_missing.json()["department"][0].replace("999999", "N")
    assert "another project" not in str(to_foreign.json())


def test_the_milestone_date_filter_is_not_an_oracle_either(api, outsider, project):
    Milestone.objects.create(project=project, name="Go-live", planned_date=date(2027, 1, 1))
    api.force_authenticate(outsider)
    assert api.get("/api/v1/milestones/", {"project": project.pk}).status_code == 404


def _list_routes():
    from config.api import router

    return sorted(prefix for prefix, viewset, _ in router.registry if hasattr(viewset, "list"))


@pytest.mark.parametrize("prefix", _list_routes())
def test_every_list_answers_the_same_for_a_missing_and_an_invisible_project(api, outsider, project, prefix):
    api.force_authenticate(outsider)
    invisible = api.get(f"/api/v1/{prefix}/", {"project": project.pk})
    missing = api.get(f"/api/v1/{prefix}/", {"project": 999999})
    assert invisible.status_code == missing.status_code, prefix
    assert invisible.json() == missing.json(), prefix
