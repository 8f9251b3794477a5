"""Change impact on staff: which groups the new system affects, their training coverage, the readiness rule."""

import pytest
from django.urls import reverse

from projects.errors import DomainError
from tests.projects.factories import DepartmentFactory, member
from tests.utils import api_as, count_queries, htmx
from training import selectors, services
from training.models import ChangeImpact, EnrolmentStatus
from training.readiness_criteria import change_impacts_covered

from .factories import make_course, make_session

pytestmark = pytest.mark.django_db

API = "/api/v1/change-impacts/"


@pytest.fixture
def branch(project):
    return DepartmentFactory(project=project, name="Retail branches")


def _impact(project, actor, **kw):
    data = {"area": "Cash deposit", "change": "Scanned at the counter, no paper slip.", "impact": "high",
            "actions": "Counter training; quick guide", **kw}
    return services.change_impact_create(actor=actor, project=project, **data)


def test_readiness_high_impact_needs_a_required_course(project, users, branch):
    manager = users["manager"]
    assert change_impacts_covered(project, 100).passed  # nothing recorded
    high = _impact(project, manager, role="staff", department=branch)
    _impact(project, manager, area="Reports", role="ops", impact="low")
    result = change_impacts_covered(project, 100)
    assert not result.passed and "Cash deposit" in str(result.explanation)
    make_course(project, users["trainer"], title="Ops only", required_roles=["ops"])
    assert not change_impacts_covered(project, 100).passed
    make_course(project, users["trainer"], title="Everybody at branches", required_roles=(),
                required_departments=[branch])
    assert change_impacts_covered(project, 100).passed  # a course for the whole department covers its staff
    [item] = selectors.change_impacts(project=project, level="high")
    assert item.pk == high.pk and [c.title for c in item.covering_courses] == ["Everybody at branches"]


def test_course_for_some_roles_does_not_cover_a_whole_department(project, users, branch):
    _impact(project, users["manager"], department=branch)
    make_course(project, users["trainer"], title="Tellers", required_roles=["staff"], required_departments=[branch])
    assert not change_impacts_covered(project, 100).passed


def test_coverage_of_the_affected_group(project, users, branch):
    trainer = users["trainer"]
    teller_a = member(project, "staff", department=branch)
    member(project, "staff", department=branch)
    course = make_course(project, trainer, title="Counter", required_roles=["staff"])
    session = make_session(course, trainer)
    services.enrolment_enrol(actor=teller_a, session=session)
    session.enrolments.filter(user=teller_a).update(status=EnrolmentStatus.ATTENDED)
    _impact(project, users["manager"], role="staff", department=branch)
    [item] = selectors.change_impacts(project=project)
    assert (item.affected_count, item.trained_count, item.trained_pct) == (2, 1, 50.0)


def test_bad_input_saves_nothing(project, other_project, users):
    foreign = DepartmentFactory(project=other_project)
    cases = [({}, "role"), ({"role": "pilot"}, "role"), ({"department": foreign}, "department"),
             ({"role": "staff", "area": ""}, "area"), ({"role": "staff", "change": " "}, "change"),
             ({"role": "staff", "impact": "huge"}, "impact")]
    for override, field in cases:
        data = {"area": "A", "change": "B", "impact": "high", **override}
        with pytest.raises(DomainError) as exc:
            services.change_impact_create(actor=users["manager"], project=project, **data)
        assert exc.value.field == field, override
    with pytest.raises(DomainError) as exc:
        _impact(project, users["staff"], role="staff")
    assert exc.value.code == "permission"
    assert not ChangeImpact.objects.exists()


def test_history_kept(project, users):
    item = _impact(project, users["manager"], role="staff")
    services.change_impact_update(actor=users["business"], item=item, impact="medium")
    assert [h.impact for h in item.history.all()] == ["medium", "high"]
    assert item.history.first().history_user == users["business"]


# ------------------------------------------------------------------ API

def test_api_matrix(project, users, outsider, branch):
    item = _impact(project, users["manager"], role="staff")
    assert api_as().get(API).status_code == 401
    for role, user in users.items():
        assert api_as(user).get(API, {"project": project.pk}).status_code == 200
        response = api_as(user).post(API, {"project": project.pk, "department": branch.pk, "area": f"By {role}",
                                           "change": "x", "impact": "medium"}, format="json")
        expected = 201 if role in ("manager", "business", "trainer") else 403
        assert response.status_code == expected, (role, response.json())
        response = api_as(user).patch(f"{API}{item.pk}/", {"impact": "low"}, format="json")
        assert response.status_code == (200 if expected == 201 else 403), role
    assert api_as(outsider).get(API, {"project": project.pk}).status_code == 404
    assert api_as(outsider).get(f"{API}{item.pk}/").status_code == 404
    assert api_as(outsider).post(API, {"project": project.pk, "role": "staff", "area": "x", "change": "y",
                                       "impact": "high"}, format="json").status_code == 404


def test_api_contract_and_bad_input(project, users, branch):
    course = make_course(project, users["trainer"], title="Counter", required_roles=["staff"])
    client = api_as(users["manager"])
    response = client.post(API, {"project": project.pk, "role": "staff", "area": "Deposit", "change": "New screen",
                                 "impact": "high", "actions": "Training"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["covering_courses"] == [course.pk] and body["affected_people"] == 1 and body["department"] is None
    for bad, field in [({"impact": "huge"}, "impact"), ({"role": "pilot"}, "role"), ({"area": "x" * 201}, "area"),
                       ({"department": "abc"}, "department"), ({"role": ""}, "role")]:
        payload = {"project": project.pk, "role": "staff", "area": "A", "change": "B", "impact": "low", **bad}
        response = client.post(API, payload, format="json")
        assert response.status_code == 400 and field in response.json(), (bad, response.json())
    assert ChangeImpact.objects.count() == 1
    assert client.delete(f"{API}{body['id']}/").status_code == 204


def test_api_list_query_count_constant(project, users, branch):
    client = api_as(users["staff"])
    _impact(project, users["manager"], role="staff")
    _, few = count_queries(lambda: client.get(API, {"project": project.pk}))
    for k in range(49):
        _impact(project, users["manager"], area=f"Area {k}", department=branch, role="staff" if k % 2 else "")
    response, many = count_queries(lambda: client.get(API, {"project": project.pk, "page_size": 100}))
    assert response.json()["count"] == 50 and few == many


# ------------------------------------------------------------------ page

def test_page_matrix_partial_and_create(client, project, users, outsider, branch):
    url = reverse("training:impacts", args=[project.pk])
    _impact(project, users["manager"], role="staff")
    assert client.get(url).status_code == 302
    for role, user in users.items():
        client.force_login(user)
        assert client.get(url).status_code == 200
        response = client.post(url, {"role": "ops", "area": f"By {role}", "change": "x", "impact": "low"})
        assert response.status_code == (302 if role in ("manager", "business", "trainer") else 403), role
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["staff"])
    page = client.get(url).content.decode()
    assert "Cash deposit" in page and "no required course" in page
    partial = htmx(client, url, data={"impact": "low"})
    assert "<html" not in partial.content.decode() and "Cash deposit" not in partial.content.decode()
    client.force_login(users["manager"])
    response = client.post(url, {"area": "", "change": "x", "impact": "low"})
    assert response.status_code == 400


def test_page_query_count_constant(client, project, users, branch):
    client.force_login(users["manager"])
    url = reverse("training:impacts", args=[project.pk])
    _impact(project, users["manager"], role="staff")
    _, few = count_queries(lambda: client.get(url))
    for k in range(49):
        _impact(project, users["manager"], area=f"Area {k}", department=branch)
    _, many = count_queries(lambda: client.get(url))
    assert few == many
