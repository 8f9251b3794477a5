"""The requirements export: the list page's filters, headers of the import, a round trip, constant queries."""

import pytest
from django.urls import reverse

from projects.services import department_create
from requirements.models import Requirement
from tests.export_helpers import column, export, export_queries, export_url, reimport
from tests.projects.factories import ProjectFactory, member
from tests.requirements.factories import approved, requirement
from tests.utils import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def retail(project, users):
    return department_create(actor=users["manager"], project=project, name="Retail")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_requirements_round_trip(project, users, retail, fmt):
    requirement(project, title="Real-time balance", description="=1+2 at the counter", department=retail,
                acceptance_criteria="Balance within 1 s")
    requirement(project, title="Night batch", priority="could")
    raw, rows = export(users["staff"], project, "requirements", fmt)
    assert rows[0] == ["Code", "title", "description", "priority", "department", "acceptance criteria", "Status",
                       "Version", "Open conflicts", "Updated"]
    assert column(rows, "description")[0] == "'=1+2 at the counter"
    assert column(rows, "priority") == ["Must", "Could"] and column(rows, "department")[0] == "Retail"
    assert reimport(users["manager"], project, "requirements", raw, fmt)["unchanged"] == 2

    target = ProjectFactory()
    member(target, "manager", user=users["manager"])
    department_create(actor=users["manager"], project=target, name="Retail")
    assert reimport(users["manager"], target, "requirements", raw, fmt)["created"] == 2
    fields = ("title", "description", "priority", "department__name", "acceptance_criteria")
    assert list(Requirement.objects.filter(project=target).order_by("number").values_list(*fields)) == list(
        Requirement.objects.filter(project=project).order_by("number").values_list(*fields))


def test_requirements_headers_in_chinese(project, users):
    requirement(project)
    rows = export(users["business"], project, "requirements", "xlsx", language="zh-hans")[1]
    assert rows[0][1:6] == ["标题", "描述", "优先级", "部门", "验收标准"]
    assert rows[1][3] == "必须"


def test_requirements_export_applies_the_list_filters(project, users, retail):
    approved(project, title="Approved one", department=retail)
    requirement(project, title="Draft one")
    assert column(export(users["staff"], project, "requirements", params={"status": "approved"})[1], "title") == [
        "Approved one"]
    assert column(export(users["staff"], project, "requirements", params={"department": "none"})[1], "title") == [
        "Draft one"]
    assert column(export(users["staff"], project, "requirements", params={"q": "draft"})[1], "title") == ["Draft one"]
    assert column(export(users["staff"], project, "requirements", params={"sort": "-title"})[1], "title") == [
        "Draft one", "Approved one"]
    for bad in ({"status": "maybe"}, {"department": "abc"}):
        response = api_as(users["staff"]).get(export_url(project, "requirements"), bad)
        assert response.status_code == 400 and next(iter(bad)) in response.json()


def test_requirements_permissions(project, users, outsider):
    assert api_as().get(export_url(project, "requirements", "xlsx")).status_code == 401
    assert api_as(outsider).get(export_url(project, "requirements", "xlsx")).status_code == 404
    for role in users:
        assert api_as(users[role]).get(export_url(project, "requirements", "xlsx")).status_code == 200


def test_requirements_query_count_is_the_same_for_1_and_50(project, users, retail):
    author = member(project, "business")
    requirement(project, author=author, title="R0", department=retail)
    one = export_queries(users["staff"], project, "requirements")
    for i in range(1, 50):
        requirement(project, author=author, title=f"R{i}", department=retail)
    assert export_queries(users["staff"], project, "requirements") == one


def test_list_page_export_menu_carries_the_filters(client, project, users):
    client.force_login(users["staff"])
    html = client.get(reverse("requirements:list", args=[project.pk]), {"status": "draft"}).content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "requirements"]) + "?status=draft" in html
    partial = client.get(reverse("requirements:list", args=[project.pk]), {"priority": "must"},
                         headers={"HX-Request": "true"}).content.decode()
    assert reverse("projects:export_csv", args=[project.pk, "requirements"]) + "?priority=must" in partial
