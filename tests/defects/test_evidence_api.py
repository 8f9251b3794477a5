"""API of the test evidence: test cases (PATCH), scoped cycles, JUnit import, perf-targets, perf-runs and
their import, security findings with their workflow and scan import. Permission matrix, bad input,
query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from defects import services
from defects.models import PerfResult, PerfTarget, SecurityFinding, TestCase, TestCycle
from tests.defects.factories import case, cycle, finding, report_file, requirement
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]
TESTERS = ("manager", "tester")
SECURITY = ("manager", "tester", "developer", "ops")


# ---------------------------------------------------------------- test cases

def test_patch_test_case_edits_links_and_retires(project, users):
    r1, r2 = requirement(project, users["business"], n=1), requirement(project, users["business"], n=2)
    c = case(project, users["tester"], requirements=[r1])
    response = api_as(users["tester"]).patch(f"/api/v1/test-cases/{c.pk}/", {
        "title": "Open a personal account", "requirements": [r1.pk, r2.pk], "tags": ["smoke"], "active": False},
        format="json")
    assert response.status_code == 200, response.data
    assert response.data["requirements"] == [r1.pk, r2.pk] and response.data["active"] is False
    assert response.data["tags"] == ["smoke"] and response.data["title"] == "Open a personal account"
    listed = api_as(users["tester"]).get(f"/api/v1/test-cases/?project={project.pk}&active=false").data
    assert [row["id"] for row in listed["results"]] == [c.pk]


def test_patch_test_case_matrix_and_bad_input(project, users, outsider, other_project):
    c = case(project, users["tester"])
    url = f"/api/v1/test-cases/{c.pk}/"
    assert api_as().patch(url, {"title": "x"}, format="json").status_code == 401
    assert api_as(outsider).patch(url, {"title": "x"}, format="json").status_code == 404
    for role in ROLES:
        expected = 200 if role in TESTERS else 403
        assert api_as(users[role]).patch(url, {"steps": f"by {role}"}, format="json").status_code == expected, role
    foreign = requirement(other_project, users["business"], n=7)
    client = api_as(users["tester"])
    for body, field in [({"title": ""}, "title"), ({"requirements": [foreign.pk]}, "requirements"),
                        ({"requirements": ["abc"]}, "requirements"), ({"tags": ["x" * 41]}, "tags"),
                        ({"code": "TC-999"}, "code"), ({"title": "t" * 301}, "title")]:
        response = client.patch(url, body, format="json")
        assert response.status_code == 400 and field in response.data and response.data["detail"], body
    c.refresh_from_db()
    assert c.code == "TC-001" and c.title == "Open account"
    assert client.put(url, {"title": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.get("/api/v1/test-cases/abc/").status_code == 404


# ---------------------------------------------------------------- scoped cycles

def test_create_cycle_with_cases(project, users, other_project, outsider):
    a, b = case(project, users["tester"], title="A"), case(project, users["tester"], title="B")
    client = api_as(users["tester"])
    body = {"project": project.pk, "name": "SIT 2", "planned_start": "2027-01-04", "planned_end": "2027-01-08",
            "cases": [a.pk]}
    response = client.post("/api/v1/test-cycles/", body, format="json")
    assert response.status_code == 201, response.data
    assert (response.data["scope"], response.data["total"], response.data["not_run"]) == ("selection", 1, 1)
    foreign = case(other_project, outsider, title="Theirs")
    for cases in ([foreign.pk], ["x"], [999999]):
        response = client.post("/api/v1/test-cycles/", {**body, "cases": cases}, format="json")
        assert response.status_code == 400 and "cases" in response.data, cases
    assert TestCycle.objects.count() == 1
    response = client.patch(f"/api/v1/test-cycles/{TestCycle.objects.get().pk}/", {"cases": [b.pk]}, format="json")
    assert response.status_code == 400 and "cases" in response.data


def test_junit_import_api(project, users, outsider):
    cy = cycle(project, users["tester"])
    url = f"/api/v1/test-cycles/{cy.pk}/import/junit/"
    assert api_as().post(url, {"file": report_file("junit_pytest.xml")}, format="multipart").status_code == 401
    assert api_as(outsider).post(url, {"file": report_file("junit_pytest.xml")},
                                 format="multipart").status_code == 404
    for role in ROLES:
        if role in TESTERS:
            continue
        response = api_as(users[role]).post(url, {"file": report_file("junit_pytest.xml")}, format="multipart")
        assert response.status_code == 403, role
    response = api_as(users["tester"]).post(url, {"file": report_file("junit_pytest.xml")}, format="multipart")
    assert response.status_code == 200, response.data
    assert response.data == {"cases_created": 5, "passed": 2, "failed": 1, "error": 1, "skipped": 1,
                             "unknown_requirements": ["REQ-001", "REQ-002"]}
    again = api_as(users["manager"]).post(url, {"file": report_file("junit_pytest.xml")}, format="multipart")
    assert again.data["cases_created"] == 0 and TestCase.objects.count() == 5


@pytest.mark.parametrize("body,message", [
    ({}, "Choose the JUnit XML file"), ({"file": "junit_billion_laughs.xml"}, "DTD"),
    ({"file": "junit_malformed.xml"}, "not well-formed"), ({"file": "zap_report.json"}, "not well-formed"),
])
def test_junit_import_bad_input_is_400_and_saves_nothing(project, users, body, message):
    cy = cycle(project, users["tester"])
    if "file" in body:
        body = {"file": report_file(body["file"])}
    response = api_as(users["tester"]).post(f"/api/v1/test-cycles/{cy.pk}/import/junit/", body, format="multipart")
    assert response.status_code == 400 and message in response.data["detail"] and "file" in response.data
    assert not TestCase.objects.exists()


def test_junit_import_of_50000_cases_is_refused(project, users):
    cy = cycle(project, users["tester"])
    body = "".join(f'<testcase classname="s" name="t{i}"/>' for i in range(50_000)).encode()
    response = api_as(users["tester"]).post(f"/api/v1/test-cycles/{cy.pk}/import/junit/",
                                            {"file": report_file("big.xml", b"<testsuite>" + body + b"</testsuite>")},
                                            format="multipart")
    assert response.status_code == 400 and "at most 10,000" in response.data["detail"]
    assert not TestCase.objects.exists()


# ---------------------------------------------------------------- performance

def test_perf_target_crud_and_matrix(project, users, outsider):
    body = {"project": project.pk, "transaction": "Login", "p95_ms": 500, "min_tps": 20, "max_error_rate": 1}
    assert api_as().post("/api/v1/perf-targets/", body, format="json").status_code == 401
    assert api_as(outsider).post("/api/v1/perf-targets/", body, format="json").status_code == 404
    for role in ROLES:
        response = api_as(users[role]).post("/api/v1/perf-targets/", {**body, "transaction": role}, format="json")
        assert response.status_code == (201 if role in TESTERS else 403), role
    target = PerfTarget.objects.get(transaction="tester")
    url = f"/api/v1/perf-targets/{target.pk}/"
    assert api_as(users["developer"]).get(url).status_code == 200
    assert api_as(users["developer"]).patch(url, {"p95_ms": 1}, format="json").status_code == 403
    response = api_as(users["tester"]).patch(url, {"p95_ms": 650}, format="json")
    assert response.status_code == 200 and response.data["p95_ms"] == 650 and response.data["max_error_rate"] == 1
    assert api_as(users["tester"]).delete(url).status_code == 204
    assert api_as(outsider).get(f"/api/v1/perf-targets/?project={project.pk}").status_code == 404


@pytest.mark.parametrize("change,field", [
    ({"p95_ms": 0}, "p95_ms"), ({"p95_ms": 10**12}, "p95_ms"), ({"p95_ms": "fast"}, "p95_ms"),
    ({"max_error_rate": 150}, "max_error_rate"), ({"min_tps": -3}, "min_tps"), ({"transaction": ""}, "transaction"),
    ({"transaction": "x" * 201}, "transaction"), ({"requirement": "abc"}, "requirement"),
])
def test_perf_target_bad_input(project, users, change, field):
    body = {"project": project.pk, "transaction": "Login", "p95_ms": 500, **change}
    response = api_as(users["tester"]).post("/api/v1/perf-targets/", body, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert not PerfTarget.objects.exists()


def test_perf_run_import_answers_judged_transactions(project, users, outsider):
    services.perf_target_create(actor=users["tester"], project=project, transaction_name="Transfer", p95_ms=1000,
                                max_error_rate=0.5)
    client = api_as(users["tester"])
    run = client.post("/api/v1/perf-runs/", {"project": project.pk, "name": "Peak 500", "tool": "jmeter"},
                      format="json")
    assert run.status_code == 201, run.data
    url = f"/api/v1/perf-runs/{run.data['id']}/import/"
    for role in ROLES:
        if role not in TESTERS:
            assert api_as(users[role]).post(url, {"file": report_file("jmeter.jtl")},
                                            format="multipart").status_code == 403
    assert api_as(outsider).post(url, {"file": report_file("jmeter.jtl")}, format="multipart").status_code == 404
    response = client.post(url, {"file": report_file("jmeter.jtl")}, format="multipart")
    assert response.status_code == 200, response.data
    rows = {r["transaction"]: r for r in response.data["transactions"]}
    assert set(rows) == {"Login", "Transfer", "查询余额", "ALL"}
    assert rows["Transfer"]["passed"] is True and rows["Login"]["passed"] is None
    assert rows["Transfer"]["samples"] == 4 and rows["Transfer"]["p95_ms"] == 810.0
    detail = api_as(users["business"]).get(f"/api/v1/perf-runs/{run.data['id']}/").data
    assert {r["transaction"] for r in detail["transactions"]} == set(rows)


def test_perf_run_bad_input(project, users):
    client = api_as(users["tester"])
    for body, field in [({"tool": "gatling"}, "tool"), ({"name": ""}, "name"), ({"cycle": "x"}, "cycle")]:
        response = client.post("/api/v1/perf-runs/", {"project": project.pk, "name": "R", "tool": "k6", **body},
                               format="json")
        assert response.status_code == 400 and field in response.data
    run = services.perf_run_create(actor=users["tester"], project=project, name="R", tool="jmeter")
    response = client.post(f"/api/v1/perf-runs/{run.pk}/import/", {"file": report_file("jmeter_missing_column.jtl")},
                           format="multipart")
    assert response.status_code == 400 and "success" in response.data["detail"]
    assert not PerfResult.objects.exists()


# ---------------------------------------------------------------- security findings

def _finding_body(project, **kw):
    return {"project": project.pk, "title": "Stored XSS in remarks", "severity": "high", "cwe": 79,
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", "component": "Counter app",
            "description": "The remarks field is shown unescaped.", **kw}


def test_findings_visible_only_to_security_roles(project, users, outsider):
    f = finding(project, users["tester"])
    for role in ROLES:
        client = api_as(users[role])
        listed = client.get(f"/api/v1/security-findings/?project={project.pk}").data
        sees = role in SECURITY
        assert listed["count"] == (1 if sees else 0), role
        assert client.get(f"/api/v1/security-findings/{f.pk}/").status_code == (200 if sees else 404), role
    assert api_as(outsider).get(f"/api/v1/security-findings/{f.pk}/").status_code == 404
    assert api_as(outsider).get(f"/api/v1/security-findings/?project={project.pk}").status_code == 404
    assert api_as().get("/api/v1/security-findings/").status_code == 401


def test_create_finding_matrix_and_fields(project, users):
    for role in ROLES:
        response = api_as(users[role]).post("/api/v1/security-findings/", _finding_body(project, title=role),
                                            format="json")
        assert response.status_code == (201 if role in TESTERS else 403), role
    row = api_as(users["tester"]).get(f"/api/v1/security-findings/?project={project.pk}&severity=high").data
    first = row["results"][0]
    assert first["cvss_score"] == "5.4" and first["status"] == "open" and first["due_date"]
    assert first["allowed_transitions"] == ["fixed", "false_positive"]


@pytest.mark.parametrize("change,field", [
    ({"severity": "severe"}, "severity"), ({"cwe": "CWE-79"}, "cwe"), ({"cwe": 10**9}, "cwe"),
    ({"cvss_vector": "CVSS:3.1/AV:Q"}, "cvss_vector"), ({"title": ""}, "title"), ({"description": ""}, "description"),
    ({"title": "t" * 301}, "title"),
])
def test_create_finding_bad_input(project, users, change, field):
    response = api_as(users["tester"]).post("/api/v1/security-findings/", _finding_body(project, **change),
                                            format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert not SecurityFinding.objects.exists()


def test_finding_transitions_and_two_person_acceptance_over_the_api(project, users):
    f = finding(project, users["tester"])
    base = f"/api/v1/security-findings/{f.pk}/"
    response = api_as(users["developer"]).post(base + "transition/", {"to": "fixed"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "fixed"
    assert api_as(users["developer"]).post(base + "transition/", {"to": "verified"},
                                           format="json").status_code == 403
    response = api_as(users["tester"]).post(base + "transition/", {"to": "open"}, format="json")
    assert response.status_code == 400 and "comment" in response.data
    api_as(users["tester"]).post(base + "transition/", {"to": "open", "comment": "still there"}, format="json")
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = api_as(users["manager"]).post(base + "request-acceptance/", {"reason": "WAF rule 942100",
                                                                            "expires_on": until}, format="json")
    assert response.status_code == 200 and response.data["acceptance_pending"] is True
    response = api_as(users["manager"]).post(base + "approve-acceptance/")
    assert response.status_code == 400 and "second person" in response.data["detail"]
    assert api_as(users["tester"]).post(base + "approve-acceptance/").status_code == 403
    from tests.projects.factories import member

    response = api_as(member(project, "manager")).post(base + "approve-acceptance/")
    assert response.status_code == 200 and response.data["status"] == "risk_accepted"
    assert response.data["risk_expires_on"] == until
    assert api_as(users["business"]).post(base + "transition/", {"to": "open"}, format="json").status_code == 404


def test_finding_to_defect_api(project, users):
    f = finding(project, users["tester"])
    url = f"/api/v1/security-findings/{f.pk}/to-defect/"
    assert api_as(users["developer"]).post(url, {}, format="json").status_code == 403  # testers file testing defects
    response = api_as(users["tester"]).post(url, {"assignee": users["business"].pk}, format="json")
    assert response.status_code == 400 and "assignee" in response.data
    response = api_as(users["tester"]).post(url, {"assignee": users["developer"].pk}, format="json")
    assert response.status_code == 201 and response.data["category"] == "security"
    assert api_as(users["tester"]).post(url, {}, format="json").status_code == 400


def test_scan_import_api(project, users, outsider):
    def post(user, **kw):
        body = {"project": project.pk, "tool": "zap", "file": report_file("zap_report.json"), **kw}
        return api_as(user).post("/api/v1/security-findings/import/", body, format="multipart")

    assert post(None).status_code == 401
    assert post(outsider).status_code == 404
    for role in ROLES:
        if role not in TESTERS:
            assert post(users[role]).status_code == 403, role
    response = post(users["tester"])
    assert response.status_code == 200 and response.data == {"created": 4, "updated": 0, "reopened": 0, "total": 4}
    assert post(users["tester"]).data["created"] == 0 and SecurityFinding.objects.count() == 4
    bad = post(users["tester"], file=report_file("zap_wrong_shape.json"))
    assert bad.status_code == 400 and "site" in bad.data["detail"]
    assert post(users["tester"], tool="nessus").status_code == 400
    assert post(users["tester"], project="abc").status_code in (400, 404)
    assert SecurityFinding.objects.count() == 4


# ---------------------------------------------------------------- query counts

def test_list_apis_constant_queries(project, users):
    """The same number of queries with 1 row and with 50, for every list of the test evidence."""
    counts = []
    for size in (1, 50):
        have = SecurityFinding.objects.count()
        for i in range(have, size):
            finding(project, users["tester"], title=f"F{i}")
            services.perf_target_create(actor=users["tester"], project=project, transaction_name=f"T{i}",
                                        p95_ms=100 + i)
            run = services.perf_run_create(actor=users["tester"], project=project, name=f"R{i}", tool="jmeter")
            services.perf_run_import(actor=users["tester"], run=run, upload=report_file("jmeter.jtl"))
            case(project, users["tester"], title=f"C{i}")
            cycle(project, users["tester"], name=f"Cycle {i}")
        client = api_as(users["tester"])
        row = []
        for url in ("/api/v1/security-findings/", "/api/v1/perf-targets/", "/api/v1/perf-runs/",
                    "/api/v1/test-cases/", "/api/v1/test-cycles/"):
            response, queries = count_queries(lambda url=url: client.get(f"{url}?project={project.pk}&page_size=100"))
            assert response.data["count"] == size, url
            row.append(queries)
        counts.append(row)
    assert counts[0] == counts[1]
