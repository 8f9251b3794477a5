"""Pages of the test evidence: the case page, the scoped cycle planner, JUnit upload, performance, security
findings, traceability. Full page and htmx partial, permission matrix, bad input, query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from defects import services
from defects.models import PerfRun, PerfTarget, SecurityFinding, TestCase, TestCycle
from tests.defects.factories import case, cycle, finding, report_file, requirement
from tests.projects.factories import member
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

ROLES = ["manager", "developer", "tester", "business", "ops", "trainer", "staff"]
SECURITY = ("manager", "tester", "developer", "ops")


@pytest.fixture
def data(project, users):
    req = requirement(project, users["business"], n=1)
    c = case(project, users["tester"], requirements=[req])
    cy = cycle(project, users["tester"])
    run = services.perf_run_create(actor=users["tester"], project=project, name="Peak 500 高峰", tool="jmeter")
    services.perf_run_import(actor=users["tester"], run=run, upload=report_file("jmeter.jtl"))
    services.perf_target_create(actor=users["tester"], project=project, transaction_name="Transfer", p95_ms=1000)
    f = finding(project, users["tester"])
    return {"case": c, "cycle": cy, "run": run, "finding": f, "requirement": req}


def _member_pages(project, data):
    pk = project.pk
    return [reverse("defects:case", args=[pk, data["case"].pk]), reverse("defects:performance", args=[pk]),
            reverse("defects:perf_run", args=[pk, data["run"].pk]), reverse("defects:traceability", args=[pk]),
            reverse("defects:exit_report", args=[pk, data["cycle"].pk])]


def _security_pages(project, data):
    return [reverse("defects:findings", args=[project.pk]),
            reverse("defects:finding", args=[project.pk, data["finding"].pk])]


def test_pages_permission_matrix(client, project, users, outsider, data):
    for url in _member_pages(project, data) + _security_pages(project, data):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        client.force_login(outsider)
        assert client.get(url).status_code == 404, url
        for role in ROLES:
            client.force_login(users[role])
            security = url in _security_pages(project, data)
            # The security pages are closed to the other roles as a whole (403, whatever the id: it leaks nothing);
            # the whole testing area is closed to branch staff who hold no other role.
            expected = 403 if role == "staff" else 200 if not security or role in SECURITY else 403
            assert client.get(url).status_code == expected, (url, role)


def test_findings_tab_shows_only_for_those_who_see_findings(client, project, users, data):
    url = reverse("defects:performance", args=[project.pk])
    findings_url = reverse("defects:findings", args=[project.pk]).encode()
    client.force_login(users["developer"])
    assert findings_url in client.get(url).content
    client.force_login(users["business"])
    assert findings_url not in client.get(url).content


def test_htmx_partials(client, project, users, data):
    client.force_login(users["tester"])
    for name, args, marker in [("defects:cases", [project.pk], b'id="case-table"'),
                               ("defects:findings", [project.pk], b'id="finding-table"'),
                               ("defects:traceability", [project.pk], b'id="matrix"')]:
        url = reverse(name, args=args)
        full, part = client.get(url), htmx(client, url)
        assert full.status_code == part.status_code == 200
        assert b"<html" in full.content and b"<html" not in part.content and marker in part.content


def test_case_page_shows_results_across_cycles_and_edits(client, project, users, data):
    c = data["case"]
    services.result_record(actor=users["tester"], result=data["cycle"].results.get(case=c), status="failed",
                           note="余额不符")
    url = reverse("defects:case", args=[project.pk, c.pk])
    client.force_login(users["business"])
    page = client.get(url)
    assert "余额不符" in page.content.decode() and b"Edit the test case" not in page.content
    assert client.post(url, {"title": "x"}).status_code == 403
    client.force_login(users["tester"])
    response = client.post(url, {"title": "Open a personal account", "kind": "functional", "steps": "1. Open",
                                 "expected_result": "Opened", "tags": "smoke 柜面", "requirements": [],
                                 "automation_key": ""})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.title, c.tags, list(c.requirements.all())) == ("Open a personal account", ["smoke", "柜面"], [])
    bad = client.post(url, {"title": "", "kind": "functional", "steps": "s", "expected_result": "e"})
    assert bad.status_code == 400 and TestCase.objects.get(pk=c.pk).title == "Open a personal account"


def test_retire_and_bring_back(client, project, users, data):
    url = reverse("defects:case_retire", args=[project.pk, data["case"].pk])
    client.force_login(users["developer"])
    assert client.post(url, {"active": "0"}).status_code == 403
    client.force_login(users["tester"])
    assert client.post(url, {"active": "0"}).status_code == 302
    assert TestCase.objects.get(pk=data["case"].pk).active is False
    listed = client.get(reverse("defects:cases", args=[project.pk]) + "?state=retired")
    assert data["case"].code.encode() in listed.content
    client.post(url, {"active": "1"})
    assert TestCase.objects.get(pk=data["case"].pk).active is True


def test_plan_a_scoped_cycle_in_the_browser(client, project, users, data):
    other = case(project, users["tester"], title="Unrelated", tags=["batch"])
    client.force_login(users["tester"])
    response = client.post(reverse("defects:cycles", args=[project.pk]), {
        "name": "Batch only 批处理", "kind": "regression", "planned_start": "2027-01-04", "planned_end": "2027-01-06",
        "status": "planned", "tags": ["batch"]})
    assert response.status_code == 302
    cy = TestCycle.objects.get(name="Batch only 批处理")
    assert cy.scope == "selection" and [r.case for r in cy.results.all()] == [other]
    response = client.post(reverse("defects:cycles", args=[project.pk]), {
        "name": "Bad", "kind": "regression", "planned_start": "2027-01-04", "planned_end": "2027-01-06",
        "status": "planned", "cases": ["999999"]})
    assert response.status_code == 400 and not TestCycle.objects.filter(name="Bad").exists()


def test_junit_upload_page(client, project, users, data):
    cy = data["cycle"]
    url = reverse("defects:cycle_junit", args=[project.pk, cy.pk])
    client.force_login(users["developer"])
    assert client.post(url, {"file": report_file("junit_surefire.xml")}).status_code == 403
    client.force_login(users["tester"])
    response = client.post(url, {"file": report_file("junit_surefire.xml")}, follow=True)
    assert response.status_code == 200 and b"Imported: 2 passed, 1 failed" in response.content
    assert cy.results.count() == 4
    bad = client.post(url, {"file": report_file("junit_billion_laughs.xml")})
    assert bad.status_code == 400 and b"DTD" in bad.content and cy.results.count() == 4
    assert client.post(url, {}).status_code == 400


def test_performance_page_targets_runs_and_charts(client, project, users, data):
    url = reverse("defects:performance", args=[project.pk])
    client.force_login(users["business"])
    page = client.get(url).content.decode()
    assert "Peak 500 高峰" in page and "<svg" in page and "Record a run" not in page
    assert client.post(url, {"form": "target", "transaction": "Login", "p95_ms": 500,
                             "max_error_rate": 1}).status_code == 403
    client.force_login(users["tester"])
    response = client.post(url, {"form": "target", "transaction": "Login", "p95_ms": 500, "max_error_rate": 1})
    assert response.status_code == 302 and PerfTarget.objects.filter(transaction="Login").exists()
    bad = client.post(url, {"form": "target", "transaction": "Login", "p95_ms": 500, "max_error_rate": 1})
    assert bad.status_code == 400 and "already has a target" in bad.content.decode()
    response = client.post(url, {"form": "run", "name": "Locust run", "tool": "locust",
                                 "file": report_file("locust_stats.csv")})
    assert response.status_code == 302 and PerfRun.objects.get(name="Locust run").results.count() == 4
    bad = client.post(url, {"form": "run", "name": "Broken", "tool": "jmeter",
                            "file": report_file("jmeter_missing_column.jtl")})
    assert bad.status_code == 400 and not PerfRun.objects.filter(name="Broken").exists()  # nothing half-saved


def test_change_and_remove_a_target(client, project, users, data):
    target = PerfTarget.objects.get(transaction="Transfer")
    url = reverse("defects:perf_target", args=[project.pk, target.pk])
    client.force_login(users["tester"])
    client.post(url, {"transaction": "Transfer", "p95_ms": 800, "max_error_rate": 0.5})
    target.refresh_from_db()
    assert (target.p95_ms, target.max_error_rate) == (800, 0.5)
    client.post(url, {"delete": "1"})
    assert not PerfTarget.objects.filter(pk=target.pk).exists()


def test_run_page_imports_again(client, project, users, data):
    url = reverse("defects:perf_run", args=[project.pk, data["run"].pk])
    client.force_login(users["tester"])
    assert b"Transfer" in client.get(url).content
    bad = client.post(url, {"file": report_file("k6_summary_export.json")})
    assert bad.status_code == 400 and data["run"].results.count() == 4


def test_findings_page_records_imports_and_filters(client, project, users, data):
    url = reverse("defects:findings", args=[project.pk])
    client.force_login(users["tester"])
    response = client.post(url, {"form": "import", "tool": "bandit", "file": report_file("bandit_report.json")})
    assert response.status_code == 302 and SecurityFinding.objects.count() == 3
    bad = client.post(url, {"form": "import", "tool": "zap", "file": report_file("zap_wrong_shape.json")})
    assert bad.status_code == 400 and SecurityFinding.objects.count() == 3
    response = client.post(url, {"form": "finding", "title": "Weak TLS 1.0", "severity": "medium",
                                 "description": "TLS 1.0 accepted", "cvss_vector": "CVSS:3.1/AV:N"})
    assert response.status_code == 400 and "CVSS" in response.content.decode()
    listed = client.get(url + "?severity=high").content.decode()
    assert "SQL injection in customer search" in listed and "B608" not in listed
    client.force_login(users["developer"])
    assert client.post(url, {"form": "finding", "title": "x", "severity": "low",
                             "description": "y"}).status_code == 403


def test_finding_page_workflow_and_two_person_acceptance(client, project, users, data):
    f = data["finding"]
    base = reverse("defects:finding", args=[project.pk, f.pk])
    act = lambda op: reverse("defects:finding_action", args=[project.pk, f.pk, op])  # noqa: E731
    client.force_login(users["tester"])
    until = (timezone.localdate() + timedelta(days=20)).isoformat()
    assert client.post(act("request-acceptance"), {"reason": "", "expires_on": until}).status_code == 400
    assert client.post(act("request-acceptance"), {"reason": "WAF blocks it", "expires_on": until}).status_code == 302
    assert client.post(act("approve-acceptance")).status_code == 403  # a tester does not approve
    client.force_login(users["manager"])
    page = client.get(base).content.decode()
    assert "Approve the acceptance" in page and "WAF blocks it" in page
    assert client.post(act("approve-acceptance")).status_code == 302
    f.refresh_from_db()
    assert f.status == "risk_accepted" and f.risk_approved_by == users["manager"]
    client.force_login(users["developer"])
    response = client.post(act("transition"), {"to": "open"})
    assert response.status_code == 400 and SecurityFinding.objects.get(pk=f.pk).status == "risk_accepted"
    assert client.post(act("transition"), {"to": "open", "comment": "WAF rule removed"}).status_code == 302
    assert client.post(act("nonsense")).status_code == 404


def test_requester_cannot_approve_in_the_browser(client, project, users, data):
    f = data["finding"]
    services.finding_request_acceptance(actor=users["manager"], finding=f, reason="r",
                                        expires_on=timezone.localdate() + timedelta(days=5))
    client.force_login(users["manager"])
    assert b"Approve the acceptance" not in client.get(reverse("defects:finding", args=[project.pk, f.pk])).content
    response = client.post(reverse("defects:finding_action", args=[project.pk, f.pk, "approve-acceptance"]))
    assert response.status_code == 400 and SecurityFinding.objects.get(pk=f.pk).status == "open"


def test_traceability_page(client, project, users, data):
    c = data["case"]
    services.result_record(actor=users["tester"], result=data["cycle"].results.get(case=c), status="failed",
                           note="wrong")
    defect = services.defect_file(actor=users["tester"], project=project, title="Wrong amount", severity="major",
                                  category="functional", steps="s", expected_result="e", actual_result="a",
                                  test_result=data["cycle"].results.get(case=c))
    client.force_login(users["business"])
    page = client.get(reverse("defects:traceability", args=[project.pk])).content.decode()
    assert data["requirement"].code in page and c.code in page and defect.key in page and "tr-failing" in page
    passing = client.get(reverse("defects:traceability", args=[project.pk]) + "?status=passing").content.decode()
    assert data["requirement"].code not in passing


def test_list_pages_constant_queries(client, project, users):
    client.force_login(users["tester"])
    pages = [reverse(n, args=[project.pk]) for n in ("defects:cases", "defects:findings", "defects:performance",
                                                    "defects:traceability")]
    counts = []
    for size in (1, 50):
        have = SecurityFinding.objects.filter(project=project).count()
        for i in range(have, size):
            req = requirement(project, users["business"], n=i + 1)
            c = case(project, users["tester"], title=f"C{i}", requirements=[req], tags=["t"])
            finding(project, users["tester"], title=f"F{i}")
            services.perf_target_create(actor=users["tester"], project=project, transaction_name=f"T{i}",
                                        p95_ms=100)
            run = services.perf_run_create(actor=users["tester"], project=project, name=f"R{i}", tool="jmeter")
            services.perf_run_import(actor=users["tester"], run=run, upload=report_file("jmeter.jtl"))
            cy = cycle(project, users["tester"], name=f"Cy{i}", cases=[c])
            services.result_record(actor=users["tester"], result=cy.results.get(case=c), status="passed")
        row = []
        for url in pages:
            response, queries = count_queries(lambda url=url: client.get(url))
            assert response.status_code == 200
            row.append(queries)
        counts.append(row)
    assert counts[0] == counts[1], dict(zip(pages, zip(*counts), strict=True))


def test_member_of_one_role_in_another_project_sees_nothing(client, project, users, data, other_project):
    stranger = member(other_project, "tester")
    client.force_login(stranger)
    for url in _member_pages(project, data) + _security_pages(project, data):
        assert client.get(url).status_code == 404
