"""Exports of the testing area: test cases (re-importable), defects (list filters, security defects
hidden as on the list) and the traceability matrix (requirement × case)."""

import pytest
from django.urls import reverse

from defects import services
from defects.models import TestCase
from tests.defects.factories import case, cycle, defect_in, file_defect, requirement
from tests.export_helpers import column, export, export_queries, export_url, reimport
from tests.projects.factories import ProjectFactory, member
from tests.utils import api_as

pytestmark = pytest.mark.django_db


# ---- defects -----------------------------------------------------------------------------------

def test_security_defects_are_left_out_for_roles_that_do_not_see_them(project, users):
    file_defect(project, users["tester"], title="Rounding error")
    file_defect(project, users["tester"], title="SQL injection in search", category="security")
    for role in ("manager", "tester", "developer", "ops"):
        assert sorted(column(export(users[role], project, "defects")[1], "Title")) == [
            "Rounding error", "SQL injection in search"], role
    for role in ("business", "trainer"):
        for fmt in ("csv", "xlsx"):
            _raw, rows = export(users[role], project, "defects", fmt)
            assert column(rows, "Title") == ["Rounding error"], role
            assert "SQL injection" not in str(rows)
    # Members who are staff only have no testing area (defects.view): no export either.
    assert api_as(users["staff"]).get(export_url(project, "defects")).status_code == 403


def test_defect_export_applies_the_list_pages_filters(project, users):
    file_defect(project, users["tester"], title="Critical one", severity="critical")
    file_defect(project, users["tester"], title="Minor one", severity="minor")
    defect_in(project, "closed", reporter=users["tester"], title="Closed critical", severity="critical")
    rows = export(users["manager"], project, "defects", params={"severity": "critical", "open": "on"})[1]
    assert column(rows, "Title") == ["Critical one"]
    assert column(export(users["manager"], project, "defects", params={"q": "minor"})[1], "Title") == ["Minor one"]
    sorted_rows = export(users["manager"], project, "defects", params={"sort": "number"})[1]
    assert column(sorted_rows, "Defect") == ["D-1", "D-2", "D-3"]


def test_defect_export_refuses_a_filter_the_page_would_not_accept(project, users):
    response = api_as(users["manager"]).get(export_url(project, "defects"), {"severity": "apocalyptic"})
    assert response.status_code == 400
    assert "severity" in response.json()


def test_defect_cells_are_neutralised_and_fields_filled(project, users):
    req = requirement(project, users["business"])
    file_defect(project, users["tester"], title="=cmd|' /C calc'!A0", steps="-2+3", requirement=req,
                assignee=users["developer"])
    for fmt in ("csv", "xlsx"):
        rows = export(users["manager"], project, "defects", fmt)[1]
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["Title"] == "'=cmd|' /C calc'!A0" and row["Steps to reproduce"] == "'-2+3"
        assert row["Requirement"] == req.code and row["Severity"] == "Major" and row["Status"] == "New"


def test_defect_list_page_has_the_export_menu_with_the_current_filters(client, project, users):
    client.force_login(users["tester"])
    html = client.get(reverse("defects:list", args=[project.pk]), {"severity": "major", "page": 2}).content.decode()
    assert reverse("projects:export_csv", args=[project.pk, "defects"]) + "?severity=major" in html
    partial = client.get(reverse("defects:list", args=[project.pk]), {"status": "new"},
                         headers={"HX-Request": "true"}).content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "defects"]) + "?status=new" in partial


def test_defect_page_route_uses_the_same_filters_and_visibility(client, project, users):
    file_defect(project, users["tester"], title="Visible", severity="minor")
    file_defect(project, users["tester"], title="Hidden", category="security", severity="minor")
    client.force_login(users["business"])
    response = client.get(reverse("projects:export_csv", args=[project.pk, "defects"]), {"severity": "minor"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "Visible" in text and "Hidden" not in text


def test_defect_query_count_is_the_same_for_1_and_50(project, users):
    cyc = cycle(project, users["tester"])
    req = requirement(project, users["business"])
    file_defect(project, users["tester"], cycle=cyc, requirement=req, assignee=users["developer"])
    counts = [export_queries(users["manager"], project, "defects")]
    for i in range(49):
        file_defect(project, users["tester"], title=f"Defect {i}", cycle=cyc, requirement=req,
                    assignee=users["developer"], category="security" if i % 5 == 0 else "functional")
    counts.append(export_queries(users["manager"], project, "defects"))
    counts.append(export_queries(users["business"], project, "defects"))
    assert counts[0] == counts[1] == counts[2]
    assert export_queries(users["manager"], project, "defects", "xlsx") == counts[0]


# ---- test cases --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_case_round_trip_keeps_every_requirement(project, users, fmt):
    r1, r2 = requirement(project, users["business"], n=1), requirement(project, users["business"], n=2)
    case(project, users["tester"], title="Open account", requirements=[r1, r2])
    case(project, users["tester"], title="Close account", requirements=[r2])
    case(project, users["tester"], title="@Risky title")
    raw, rows = export(users["business"], project, "test-cases", fmt)
    assert rows[0][:5] == ["Code", "title", "steps", "expected result", "requirement"]
    assert column(rows, "requirement")[column(rows, "title").index("Open account")] == "REQ-001, REQ-002"
    assert "'@Risky title" in column(rows, "title")
    assert reimport(users["manager"], project, "test-cases", raw, fmt)["unchanged"] == 3

    target = ProjectFactory()
    member(target, "manager", user=users["manager"])
    requirement(target, users["manager"], n=1), requirement(target, users["manager"], n=2)
    assert reimport(users["manager"], target, "test-cases", raw, fmt)["created"] == 3
    copied = TestCase.objects.get(project=target, title="Open account")
    assert sorted(copied.requirements.values_list("code", flat=True)) == ["REQ-001", "REQ-002"]
    assert TestCase.objects.filter(project=target, title="@Risky title").exists()


def test_case_export_applies_the_cases_page_filters(project, users):
    case(project, users["tester"], title="Transfer", tags=["payments"])
    retired = case(project, users["tester"], title="Old report")
    services.case_update(actor=users["tester"], case=retired, active=False)
    rows = export(users["tester"], project, "test-cases")[1]
    assert column(rows, "title") == ["Transfer"]
    assert column(export(users["tester"], project, "test-cases", params={"state": "retired"})[1], "title") == [
        "Old report"]
    assert column(export(users["tester"], project, "test-cases", params={"tag": "none"})[1], "title") == []


def test_case_query_count_is_the_same_for_1_and_50(project, users):
    req = requirement(project, users["business"])
    case(project, users["tester"], title="C0", requirements=[req], tags=["t"])
    one = export_queries(users["tester"], project, "test-cases")
    for i in range(1, 50):
        case(project, users["tester"], title=f"C{i}", requirements=[req], tags=["t"])
    assert export_queries(users["tester"], project, "test-cases") == one


# ---- traceability ------------------------------------------------------------------------------

@pytest.fixture
def matrix(project, users):
    tester = users["tester"]
    covered = requirement(project, users["business"], n=1)
    uncovered = requirement(project, users["business"], n=2)
    passing = case(project, tester, title="Deposit", requirements=[covered])
    failing = case(project, tester, title="Withdraw", requirements=[covered])
    run = cycle(project, tester)
    services.result_record(actor=tester, result=run.results.get(case=passing), status="passed")
    services.result_record(actor=tester, result=run.results.get(case=failing), status="failed", note="wrong")
    failed = run.results.get(case=failing)
    from_run = file_defect(project, tester, title="Withdraw fails", test_result=failed)
    secret = file_defect(project, tester, title="Token leak", category="security", test_result=failed)
    of_requirement = file_defect(project, tester, title="Spec unclear", requirement=covered)
    defect_in(project, "closed", reporter=tester, title="Old closed", requirement=covered)
    return {"covered": covered, "uncovered": uncovered, "from_run": from_run, "secret": secret,
            "of_requirement": of_requirement}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_traceability_one_row_per_requirement_and_case_with_latest_results_and_open_defects(
        project, users, matrix, fmt):
    rows = export(users["manager"], project, "traceability", fmt)[1]
    table = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [(r["Requirement"], r["Case title"], r["Latest result"]) for r in table] == [
        ("REQ-001", "Deposit", "Passed"), ("REQ-001", "Withdraw", "Failed"),
        ("REQ-002", "No test case covers this requirement.", None if fmt == "xlsx" else "")]
    withdraw = table[1]
    assert withdraw["Test cycle"] == "SIT 1" and withdraw["Coverage"] == "failing"
    assert matrix["from_run"].key in withdraw["Open defects of the case"]
    assert matrix["secret"].key in withdraw["Open defects of the case"]
    assert table[0]["Open defects of the case"] in ("", None)
    for row in table[:2]:
        assert matrix["of_requirement"].key in row["Open defects of the requirement"]
        assert "Old closed" not in row["Open defects of the requirement"]
    assert table[2]["Coverage"] == "untested"


def test_traceability_hides_security_defects_and_filters_by_status(project, users, matrix):
    rows = export(users["business"], project, "traceability")[1]
    assert "Token leak" not in str(rows) and matrix["from_run"].key in str(rows)
    untested = export(users["business"], project, "traceability", params={"status": "untested"})[1]
    assert column(untested, "Requirement") == ["REQ-002"]
    bad = api_as(users["business"]).get(export_url(project, "traceability"), {"status": "green"})
    assert bad.status_code == 400 and "status" in bad.json()


def test_traceability_query_count_is_the_same_for_1_and_50(project, users):
    tester = users["tester"]
    run = cycle(project, tester)

    def add(i):
        req = requirement(project, users["business"], n=i + 1)
        c = case(project, tester, title=f"Case {i}", requirements=[req])
        result, _created = run.results.get_or_create(case=c)
        services.result_record(actor=tester, result=result, status="failed", note="wrong")
        file_defect(project, tester, title=f"Defect {i}", test_result=result, requirement=req)

    add(0)
    one = export_queries(users["manager"], project, "traceability")
    for i in range(1, 50):
        add(i)
    assert export_queries(users["manager"], project, "traceability") == one


def test_traceability_and_cases_pages_have_the_export_menu(client, project, users):
    client.force_login(users["business"])
    trace = client.get(reverse("defects:traceability", args=[project.pk]), {"status": "failing"}).content.decode()
    assert reverse("projects:export_xlsx", args=[project.pk, "traceability"]) + "?status=failing" in trace
    cases = client.get(reverse("defects:cases", args=[project.pk])).content.decode()
    assert reverse("projects:export_csv", args=[project.pk, "test-cases"]) in cases
