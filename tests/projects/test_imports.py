"""Spreadsheet imports: people, requirements, test cases, work items and milestones (.xlsx and .csv)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from defects.models import TestCase
from projects import imports
from projects.models import Membership, Milestone
from projects.services import department_create
from requirements.models import Requirement
from tasks.models import WorkItem
from tests.projects.factories import member

User = get_user_model()


def xlsx(rows, name="people.xlsx"):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/octet-stream")


def csv_file(text, encoding="utf-8", name="people.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def url(project, kind, dry_run=False):
    return reverse("api-import", args=[project.pk, kind]) + ("?dry_run=1" if dry_run else "")


PEOPLE = [["username", "full_name", "email", "department", "roles", "job_title", "phone"],
          ["wangjg", "王建国", "wjg@bank.example", "Retail", "tester, business", "Lead tester", 13800138000],
          ["lina", "Na Li", "lina@bank.example", "", "ops", "", ""]]


@pytest.fixture
def manager(project):
    user = member(project, "manager")
    department_create(actor=user, project=project, name="Retail")
    return user


def post(api, user, project, kind, upload, dry_run=False):
    api.force_authenticate(user)
    return api.post(url(project, kind, dry_run), {"file": upload}, format="multipart")


def test_people_import_creates_users_without_password_and_memberships_then_reimport_changes_nothing(
        api, project, manager):
    response = post(api, manager, project, "people", xlsx(PEOPLE))
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    wang = User.objects.get(username="wangjg")
    assert (wang.last_name, wang.first_name, wang.email) == ("王", "建国", "wjg@bank.example")
    assert not wang.has_usable_password()
    roles = set(Membership.objects.filter(project=project, user=wang).values_list("role", "phone", "department__name"))
    assert roles == {("tester", "13800138000", "Retail"), ("business", "13800138000", "Retail")}
    again = post(api, manager, project, "people", xlsx(PEOPLE))
    assert again.json() | {"rows": None} == {"created": 0, "updated": 0, "unchanged": 2, "dry_run": False,
                                             "errors": [], "rows": None}
    assert Membership.objects.filter(project=project).count() == 4  # manager + 2 + 1


def test_reimport_updates_roles_and_details(api, project, manager):
    post(api, manager, project, "people", xlsx(PEOPLE))
    changed = [PEOPLE[0], ["lina", "Na Li", "lina@bank.example", "Retail", "ops,developer", "DBA", "021-1"]]
    response = post(api, manager, project, "people", xlsx(changed))
    assert response.json()["updated"] == 1
    assert set(Membership.objects.filter(user__username="lina").values_list("role", "job_title")) == {
        ("ops", "DBA"), ("developer", "DBA")}


def test_dry_run_saves_nothing_and_reports_what_would_happen(api, project, manager):
    response = post(api, manager, project, "people", xlsx(PEOPLE), dry_run=True)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["dry_run"]) == (2, True)
    assert [r["action"] for r in body["rows"]] == ["created", "created"]
    assert not User.objects.filter(username__in=["wangjg", "lina"]).exists()


def test_any_bad_row_saves_nothing_and_every_bad_row_is_listed(api, project, manager):
    rows = [PEOPLE[0], PEOPLE[1], ["bad user", "", "", "", "tester", "", ""],
            ["zhao", "", "", "Nowhere", "astronaut", "", ""], ["wangjg", "", "", "", "tester", "", ""]]
    response = post(api, manager, project, "people", xlsx(rows))
    assert response.status_code == 400
    body = response.json()
    assert (body["created"], body["updated"]) == (0, 0)
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert found == {(3, "username"), (4, "roles"), (5, "username")}
    assert not User.objects.filter(username__in=["wangjg", "zhao"]).exists()
    assert Membership.objects.filter(project=project).count() == 1


def test_chinese_headers_in_a_gb18030_csv(api, project, manager):
    text = "用户名,姓名,角色,部门\nzhangwei,张伟,测试人员,Retail\n"
    response = post(api, manager, project, "people", csv_file(text, "gb18030"))
    assert response.status_code == 200, response.json()
    assert Membership.objects.get(user__username="zhangwei").role == "tester"


def test_errors_in_the_readers_language(api, project, manager):
    api.force_authenticate(manager)
    response = api.post(url(project, "milestones"), {"file": csv_file("名称,计划日期\n上线,明天\n")},
                        format="multipart", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["row"] == 2
    assert "YYYY-MM-DD" in error["message"]


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("x.csv", b""), "empty"),
    (SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really a zip"), "neither"),
    (SimpleUploadedFile("x.csv", "用户名,角色\n".encode()), "no rows"),
    (SimpleUploadedFile("x.csv", b"full_name,email\nA,a@b.c\n"), "missing: username, roles"),
])
def test_file_problems_are_a_clear_400(api, project, manager, upload, message):
    response = post(api, manager, project, "people", upload)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_size_and_row_limits(api, project, manager, settings):
    settings.IMPORT_MAX_BYTES = 1000
    big = csv_file("title\n" + "x" * 2000 + "\n")
    response = post(api, manager, project, "milestones", big)
    assert response.status_code == 413 and "largest accepted" in response.json()["detail"]
    settings.IMPORT_MAX_BYTES = 5 * 1024 * 1024
    settings.IMPORT_MAX_ROWS = 10
    many = csv_file("name,planned_date\n" + "".join(f"m{i},2027-01-01\n" for i in range(11)))
    response = post(api, manager, project, "milestones", many)
    assert response.status_code == 400 and "at most 10" in response.json()["detail"]
    assert not Milestone.objects.filter(project=project).exists()


def test_requirements_test_cases_milestones(api, project, manager):
    reqs = [["标题", "描述", "优先级", "部门", "验收标准"], ["开户", "柜面开户", "must", "Retail", "5分钟内"],
            ["Transfer", "", "Should", "", ""]]
    assert post(api, manager, project, "requirements", xlsx(reqs)).json()["created"] == 2
    code = Requirement.objects.get(project=project, title="开户").code
    cases = [["title", "steps", "expected_result", "requirement"], ["open account", "1. log in", "opened", code],
             ["bad link", "x", "y", "REQ-999"]]
    response = post(api, manager, project, "test-cases", xlsx(cases))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 3, "column": "requirement",
                                          "message": "There is no requirement REQ-999 in this project."}]
    assert post(api, manager, project, "test-cases", xlsx(cases[:2])).status_code == 200
    assert list(TestCase.objects.get(project=project).requirements.values_list("code", flat=True)) == [code]
    ms = [["name", "planned_date"], ["Go-live", "2027-03-01"]]
    assert post(api, manager, project, "milestones", xlsx(ms)).json()["created"] == 1
    ms[1][1] = "2027/03/08"
    assert post(api, manager, project, "milestones", xlsx(ms)).json()["updated"] == 1
    assert str(Milestone.objects.get(project=project).planned_date) == "2027-03-08"
    assert post(api, manager, project, "requirements", xlsx(reqs)).json()["unchanged"] == 2


def test_work_items_by_ops(api, project, manager):
    ops = member(project, "ops")
    rows = [["title", "owner", "due", "category"], ["Backup power", ops.username, "2027-01-10", "preparation"],
            ["Network", "stranger", "", ""]]
    response = post(api, ops, project, "work-items", xlsx(rows))
    assert response.status_code == 400 and response.json()["errors"][0]["column"] == "owner"
    assert post(api, ops, project, "work-items", xlsx(rows[:2])).json()["created"] == 1
    assert WorkItem.objects.get(project=project).owner == ops


def test_permission_matrix(api, project, other_project, manager):
    tester, ops, outsider = member(project, "tester"), member(project, "ops"), member(other_project, "manager")
    upload = lambda: xlsx(PEOPLE)  # noqa: E731
    api.force_authenticate(None)
    assert api.post(url(project, "people"), {"file": upload()}, format="multipart").status_code == 401
    assert post(api, outsider, project, "people", upload()).status_code == 404
    assert post(api, tester, project, "people", upload()).status_code == 403
    assert post(api, ops, project, "people", upload()).status_code == 403
    assert post(api, manager, project, "nonsense", upload()).status_code == 404
    assert post(api, tester, project, "work-items", xlsx([["title"], ["x"]])).status_code == 403
    assert post(api, manager, project, "people", upload()).status_code == 200


def test_template_per_kind_in_the_readers_language(api, project, manager):
    api.force_authenticate(manager)
    for kind in imports.kinds():
        response = api.get(reverse("api-import-template", args=[project.pk, kind.key]))
        assert response.status_code == 200
        wb = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in wb.active[1]] == [str(c.label) for c in kind.columns]
    zh = api.get(reverse("api-import-template", args=[project.pk, "people"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert load_workbook(io.BytesIO(zh.content)).active["A1"].value == "用户名"
    assert {k.key for k in imports.kinds()} == {"people", "requirements", "test-cases", "work-items", "milestones"}


def test_the_filled_template_imports(api, project, manager):
    api.force_authenticate(manager)
    wb = load_workbook(io.BytesIO(api.get(reverse("api-import-template", args=[project.pk, "milestones"])).content))
    wb.active.append(["Rehearsal 1", "2027-02-01"])
    out = io.BytesIO()
    wb.save(out)
    assert post(api, manager, project, "milestones", SimpleUploadedFile("t.xlsx", out.getvalue())).status_code == 200


def test_page_full_and_partial(client, project, manager):
    client.force_login(manager)
    page = client.get(reverse("projects:import_kind", args=[project.pk, "people"]))
    assert page.status_code == 200 and b"Download the template" in page.content
    response = client.post(reverse("projects:import_kind", args=[project.pk, "people"]),
                           {"file": xlsx(PEOPLE), "action": "check"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b"wangjg" in response.content and b"import-preview" in response.content
    assert not User.objects.filter(username="wangjg").exists()
    response = client.post(reverse("projects:import_kind", args=[project.pk, "people"]),
                           {"file": xlsx(PEOPLE), "action": "import"})
    assert b"Imported" in response.content and User.objects.filter(username="wangjg").exists()
    bad = client.post(reverse("projects:import_kind", args=[project.pk, "people"]),
                      {"file": csv_file("username,roles\nx,astronaut\n"), "action": "import"}, HTTP_HX_REQUEST="true")
    assert b"nothing was saved" in bad.content and b"astronaut" in bad.content


def test_page_permissions(client, project, other_project, manager):
    tester, outsider = member(project, "tester"), member(other_project, "manager")
    page = reverse("projects:import_kind", args=[project.pk, "people"])
    assert client.get(page).status_code == 302
    client.force_login(outsider)
    assert client.get(page).status_code == 404
    client.force_login(tester)
    assert client.get(page).status_code == 403
    assert client.get(reverse("projects:import_template", args=[project.pk, "people"])).status_code == 403


def test_page_queries_do_not_grow_with_the_project(client, project, manager):
    client.force_login(manager)
    page = reverse("projects:import_kind", args=[project.pk, "people"])
    client.get(page)
    with CaptureQueriesContext(connection) as one:
        client.get(page)
    for _ in range(50):
        member(project, "staff")
    client.get(page)  # the change made the cached top-bar count stale: counted again once
    with CaptureQueriesContext(connection) as many:
        client.get(page)
    assert len(one) == len(many)


def test_team_tabs_link_the_import_page_for_those_who_may_import(client, project, manager):
    ops, tester = member(project, "ops"), member(project, "tester")
    roster = reverse("projects:roster", args=[project.pk])
    link = reverse("projects:import", args=[project.pk]).encode()
    client.force_login(tester)
    assert link not in client.get(roster).content
    client.force_login(ops)
    assert link in client.get(roster).content
    page = client.get(link.decode())
    assert page.status_code == 200 and page.context["kind"].key == "work-items"
    assert [k.key for k in page.context["kinds"]] == ["work-items"]


def test_a_launch_of_real_size_imports_and_the_second_time_changes_nothing(api, project, manager):
    """500 people, 300 requirements, 400 test cases, 100 work items, 20 milestones (scripts/bench_import.py times it)."""
    from projects.import_samples import SIZES, rows, workbook

    def send(kind, table):
        upload = SimpleUploadedFile(f"{kind}.xlsx", workbook(table))
        response = post(api, manager, project, kind, upload)
        assert response.status_code == 200, response.json()["errors"][:3]
        return response.json()

    tables = {"people": rows("people", SIZES["people"]), "requirements": rows("requirements", SIZES["requirements"]),
              "work-items": rows("work-items", SIZES["work-items"], owner=manager.username),
              "milestones": rows("milestones", SIZES["milestones"])}
    for kind, table in tables.items():
        assert send(kind, table)["created"] == SIZES[kind]
    codes = list(Requirement.objects.filter(project=project).values_list("code", flat=True))
    tables["test-cases"] = rows("test-cases", SIZES["test-cases"], requirement_codes=codes)
    assert send("test-cases", tables["test-cases"])["created"] == 400
    assert User.objects.filter(username__startswith="p0").count() == 500
    for kind, table in tables.items():
        again = send(kind, table)
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, SIZES[kind])
