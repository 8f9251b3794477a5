"""Services of the test evidence: cases edited and retired, scoped cycles, JUnit imports, performance
targets and runs, security findings and their two-person risk acceptance."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from defects import selectors, services
from defects.models import (
    Defect,
    PerfResult,
    PerfRun,
    PerfTarget,
    SecurityFinding,
    TestCase,
    TestCycle,
    TestResult,
)
from defects.readiness_criteria import open_high_findings, performance_targets
from projects.errors import DomainError
from tests.defects.factories import case, cycle, finding, report_file, requirement
from tests.projects.factories import DepartmentFactory, member

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- test cases

def test_edit_relinks_requirements_and_keeps_history(project, users):
    r1, r2 = requirement(project, users["business"], n=1), requirement(project, users["business"], n=2)
    c = case(project, users["tester"], requirements=[r1])
    services.case_update(actor=users["tester"], case=c, title="Open a personal account", requirements=[r1, r2],
                         tags="smoke, 柜面 smoke")
    c.refresh_from_db()
    assert c.title == "Open a personal account" and c.tags == ["smoke", "柜面"]
    assert set(c.requirements.all()) == {r1, r2}
    # created, linked to r1, edited, linked to r2: the links are history records too (the audit log shows them)
    assert c.history.first().history_user == users["tester"] and c.history.count() == 4
    assert sorted(row.requirement_id for row in c.history.first().requirements.all()) == sorted([r1.pk, r2.pk])


def test_edit_refuses_bad_input_and_changes_nothing(project, users, other_project):
    c = case(project, users["tester"])
    foreign = requirement(other_project, users["business"], n=9)
    for changes, field in [({"title": " "}, "title"), ({"kind": "exploratory"}, "kind"),
                           ({"requirements": [foreign]}, "requirements"), ({"tags": ["x" * 41]}, "tags"),
                           ({"code": "TC-9"}, None)]:
        with pytest.raises(DomainError) as exc:
            services.case_update(actor=users["tester"], case=c, **changes)
        assert exc.value.field == field
    c.refresh_from_db()
    assert (c.title, c.tags, c.history.count()) == ("Open account", [], 1)
    with pytest.raises(DomainError) as exc:
        services.case_update(actor=users["developer"], case=c, title="x")
    assert exc.value.code == "permission"


def test_retired_case_stays_in_run_cycles_leaves_open_ones_and_joins_no_new_one(project, users):
    c = case(project, users["tester"])
    other = case(project, users["tester"], title="Other")
    done = cycle(project, users["tester"], name="SIT 1")
    services.result_record(actor=users["tester"], result=done.results.get(case=c), status="passed")
    services.cycle_update(actor=users["tester"], cycle=done, status="done")
    running = cycle(project, users["tester"], name="SIT 2")
    services.case_update(actor=users["tester"], case=c, active=False)
    assert done.results.filter(case=c).exists()  # the cycle that ran it keeps its result
    assert not running.results.filter(case=c).exists()  # not run yet there: it leaves
    assert list(cycle(project, users["tester"], name="SIT 3").results.values_list("case", flat=True)) == [other.pk]
    services.case_update(actor=users["tester"], case=c, active=True)
    assert running.results.filter(case=c, status="not_run").exists()  # back: it joins the open all-case cycle


# ---------------------------------------------------------------- scoped cycles

def test_scope_by_requirement_department_tag_and_hand(project, users):
    dept = DepartmentFactory(project=project, name="Retail 零售")
    r1 = requirement(project, users["business"], n=1)
    r2 = requirement(project, users["business"], n=2)
    r2.department = dept
    r2.save()
    a = case(project, users["tester"], title="A", requirements=[r1])
    b = case(project, users["tester"], title="B", requirements=[r2])
    c = case(project, users["tester"], title="C", tags=["security"])
    d = case(project, users["tester"], title="D")
    case(project, users["tester"], title="E")
    picks = [({"requirements": [r1]}, {a}), ({"departments": [dept]}, {b}), ({"tags": ["security"]}, {c}),
             ({"cases": [d], "requirements": [r1]}, {a, d})]
    for i, (scope, expected) in enumerate(picks):
        cy = cycle(project, users["tester"], name=f"Scoped {i}", **scope)
        assert cy.scope == "selection"
        assert {r.case for r in cy.results.all()} == expected, scope
    late = case(project, users["tester"], title="F")  # a new case joins only the all-case cycles
    everything = TestCycle.objects.create(project=project, name="All", planned_start=timezone.localdate(),
                                          planned_end=timezone.localdate(), scope="all")
    services.case_create(actor=users["tester"], project=project, title="G", steps="s", expected_result="e")
    assert not TestResult.objects.filter(cycle__scope="selection", case__title__in=["F", "G"]).exists()
    assert everything.results.filter(case__title="G").exists() and late.pk


def test_scoped_pass_rate_and_coverage_count_only_its_cases(project, users):
    r1, r2 = requirement(project, users["business"], n=1), requirement(project, users["business"], n=2)
    a = case(project, users["tester"], title="A", requirements=[r1])
    case(project, users["tester"], title="B", requirements=[r2])
    cy = cycle(project, users["tester"], name="Only A", cases=[a])
    services.result_record(actor=users["tester"], result=cy.results.get(case=a), status="passed")
    row = selectors.cycles(user=users["tester"], project=project).get(pk=cy.pk)
    assert (row.total, row.passed) == (1, 1)
    covered, in_scope, uncovered = selectors.cycle_coverage(cy)
    assert (covered, in_scope, uncovered) == (1, 1, [])  # r2 is not this cycle's business


def test_empty_selection_or_retired_case_is_refused_and_nothing_saved(project, users):
    c = case(project, users["tester"], title="Retired")
    services.case_update(actor=users["tester"], case=c, active=False)
    for scope, field in [({"tags": ["nothing-has-it"]}, "cases"), ({"cases": [c]}, "cases")]:
        with pytest.raises(DomainError) as exc:
            cycle(project, users["tester"], name="Empty", **scope)
        assert exc.value.field == field
    assert not TestCycle.objects.exists()


# ---------------------------------------------------------------- JUnit

def test_junit_import_creates_cases_records_results_and_links_requirements(project, users):
    r1, r2 = requirement(project, users["business"], n=1), requirement(project, users["business"], n=2)
    cy = cycle(project, users["tester"])
    counts = services.junit_import(actor=users["tester"], cycle=cy, upload=report_file("junit_pytest.xml"))
    assert counts == {"cases_created": 5, "passed": 2, "failed": 1, "error": 1, "skipped": 1,
                      "unknown_requirements": []}
    results = {r.case.automation_key: r for r in cy.results.select_related("case")}
    failed = results["tests.test_deposit.TestOpenAccount.test_open_account_rejects_duplicate_id"]
    assert failed.status == "failed" and "assert 200 == 409" in failed.note and failed.executed_by == users["tester"]
    assert set(failed.case.requirements.all()) == {r1, r2}
    assert results["tests.test_statement.test_statement_pdf_in_chinese"].status == "skipped"
    cy.refresh_from_db()
    assert cy.status == "running"
    row = selectors.cycles(user=users["tester"], project=project).get(pk=cy.pk)
    assert (row.passed, row.skipped, row.error) == (2, 1, 1)  # skipped never counts as passed


def test_junit_reimport_updates_and_creates_nothing(project, users):
    requirement(project, users["business"], n=1)
    cy = cycle(project, users["tester"])
    services.junit_import(actor=users["tester"], cycle=cy, upload=report_file("junit_pytest.xml"))
    fixed = (report_file("junit_pytest.xml").read().replace(b'<failure message="AssertionError: assert 200 == 409">',
                                                            b"<system-out>").replace(b"</failure>", b"</system-out>"))
    counts = services.junit_import(actor=users["tester"], cycle=cy, upload=report_file("ci.xml", fixed))
    assert counts["cases_created"] == 0 and counts["passed"] == 3 and counts["failed"] == 0
    assert TestCase.objects.filter(project=project).count() == 5 and cy.results.count() == 5
    assert counts["unknown_requirements"] == ["REQ-002"]


def test_junit_into_scoped_cycle_adds_the_imported_cases(project, users):
    manual = case(project, users["tester"], title="Manual")
    cy = cycle(project, users["tester"], cases=[manual])
    services.junit_import(actor=users["tester"], cycle=cy, upload=report_file("junit_surefire.xml"))
    assert cy.results.count() == 4 and cy.results.get(case=manual).status == "not_run"


@pytest.mark.parametrize("name", ["junit_billion_laughs.xml", "junit_malformed.xml"])
def test_junit_bad_files_save_nothing(project, users, name):
    cy = cycle(project, users["tester"])
    with pytest.raises(DomainError) as exc:
        services.junit_import(actor=users["tester"], cycle=cy, upload=report_file(name))
    assert exc.value.field == "file"
    assert not TestCase.objects.exists() and cy.status == "planned"


def test_junit_refused_for_done_cycle_empty_file_and_wrong_role(project, users):
    cy = cycle(project, users["tester"], status="done")
    with pytest.raises(DomainError, match="done"):
        services.junit_import(actor=users["tester"], cycle=cy, upload=report_file("junit_pytest.xml"))
    open_cycle = cycle(project, users["tester"], name="Open")
    with pytest.raises(DomainError, match="empty"):
        services.junit_import(actor=users["tester"], cycle=open_cycle, upload=report_file("x.xml", b""))
    with pytest.raises(DomainError) as exc:
        services.junit_import(actor=users["developer"], cycle=open_cycle, upload=report_file("junit_pytest.xml"))
    assert exc.value.code == "permission" and not TestCase.objects.exists()


# ---------------------------------------------------------------- performance

def _target(project, actor, name="Login", **kw):
    data = {"p95_ms": 500, "max_error_rate": 1.0, **kw}
    return services.perf_target_create(actor=actor, project=project, transaction_name=name, **data)


def _run(project, actor, tool="jmeter", name="Peak", file="jmeter.jtl"):
    run = services.perf_run_create(actor=actor, project=project, name=name, tool=tool)
    return services.perf_run_import(actor=actor, run=run, upload=report_file(file))


def test_run_import_is_judged_against_the_targets(project, users):
    _target(project, users["tester"], "Transfer", p95_ms=1000, max_error_rate=0.5)
    _target(project, users["tester"], "Login", p95_ms=500, max_error_rate=1.0)  # 25 % errors: missed
    run = _run(project, users["tester"])
    judged = {r.transaction: r.passed for r in selectors.judged_results(run)}
    assert judged == {"Transfer": True, "Login": False, "查询余额": None, "ALL": None}
    assert run.imported_by == users["tester"] and run.file_name == "jmeter.jtl"
    # a throughput the run did not reach
    services.perf_target_update(actor=users["tester"], target=PerfTarget.objects.get(transaction="Transfer"),
                                min_tps=100)
    assert {r.transaction: r.passed for r in selectors.judged_results(run)}["Transfer"] is False


def test_reimport_replaces_results_and_bad_file_keeps_the_old_ones(project, users):
    run = _run(project, users["tester"])
    assert PerfResult.objects.filter(run=run).count() == 4
    run = services.perf_run_import(actor=users["tester"], run=run, upload=report_file("jmeter.jtl"))
    assert PerfResult.objects.filter(run=run).count() == 4
    with pytest.raises(DomainError, match="success"):
        services.perf_run_import(actor=users["tester"], run=run, upload=report_file("jmeter_missing_column.jtl"))
    assert PerfResult.objects.filter(run=run).count() == 4


def test_each_tool_reads_its_own_format(project, users):
    k6 = _run(project, users["tester"], tool="k6", name="k6", file="k6_summary_export.json")
    locust = _run(project, users["tester"], tool="locust", name="locust", file="locust_stats.csv")
    assert set(k6.results.values_list("transaction", flat=True)) == {"ALL", "login", "transfer"}
    assert locust.results.get(transaction="ALL").samples == 6600
    wrong = services.perf_run_create(actor=users["tester"], project=project, name="w", tool="k6")
    with pytest.raises(DomainError, match="not valid JSON"):
        services.perf_run_import(actor=users["tester"], run=wrong, upload=report_file("jmeter.jtl"))


def test_target_bad_input(project, users, other_project):
    _target(project, users["tester"])
    foreign = requirement(other_project, users["business"], n=3)
    for kw, field in [({"name": "Login"}, "transaction"), ({"name": " "}, "transaction"),
                      ({"name": "X", "p95_ms": 0}, "p95_ms"), ({"name": "X", "max_error_rate": 101}, "max_error_rate"),
                      ({"name": "X", "min_tps": -1}, "min_tps"), ({"name": "X", "requirement": foreign}, "requirement")]:
        with pytest.raises(DomainError) as exc:
            _target(project, users["tester"], **kw)
        assert exc.value.field == field, kw
    assert PerfTarget.objects.count() == 1
    with pytest.raises(DomainError) as exc:
        _target(project, users["business"], "Y")
    assert exc.value.code == "permission"


def test_readiness_performance_targets_met(project, users):
    assert performance_targets(project, 100).passed is False  # no targets: nothing shows it is fast enough
    _target(project, users["tester"], "Transfer", p95_ms=1000, max_error_rate=0.5)
    result = performance_targets(project, 100)
    assert (result.value, result.passed) == (0, False)  # not measured yet
    _run(project, users["tester"])
    assert performance_targets(project, 100).passed is True
    _target(project, users["tester"], "Login")
    result = performance_targets(project, 100)
    assert (result.value, result.passed) == (50.0, False) and "Login" in str(result.explanation)


# ---------------------------------------------------------------- security findings

def test_finding_numbered_scored_and_due_by_severity(project, users):
    with freeze_time("2027-01-10 09:00:00+08:00"):
        f = finding(project, users["tester"], cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", cwe=89)
    assert (f.key, str(f.cvss_score), f.due_date.isoformat()) == ("SEC-1", "9.8", "2027-02-09")  # high: 30 days
    f = services.finding_update(actor=users["tester"], finding=f, severity="critical", cvss_vector="")
    assert f.due_date.isoformat() == "2027-01-17" and f.cvss_score is None


def test_finding_bad_input_saves_nothing(project, users):
    for kw, field in [({"title": ""}, "title"), ({"severity": "urgent"}, "severity"), ({"description": " "},
                      "description"), ({"cvss_vector": "CVSS:3.1/AV:X"}, "cvss_vector"),
                      ({"cvss_vector": "AV:N/AC:L"}, "cvss_vector"), ({"cwe": -4}, "cwe")]:
        with pytest.raises(DomainError) as exc:
            finding(project, users["tester"], **kw)
        assert exc.value.field == field, kw
    assert not SecurityFinding.objects.exists()


def test_finding_workflow(project, users):
    f = finding(project, users["tester"])
    f = services.finding_transition(actor=users["developer"], finding=f, to="fixed")
    with pytest.raises(DomainError) as exc:
        services.finding_transition(actor=users["developer"], finding=f, to="verified")
    assert exc.value.code == "permission"
    with pytest.raises(DomainError, match="Say why"):
        services.finding_transition(actor=users["tester"], finding=f, to="open")
    f = services.finding_transition(actor=users["tester"], finding=f, to="open", comment="Still injectable")
    assert f.fixed_at is None and f.status_note == "Still injectable"
    with pytest.raises(DomainError, match="second person"):
        services.finding_transition(actor=users["manager"], finding=f, to="risk_accepted")
    with pytest.raises(DomainError) as exc:
        services.finding_transition(actor=users["tester"], finding=f, to="verified")
    assert exc.value.extra["allowed"] == ["fixed", "false_positive"]


def test_risk_acceptance_needs_reason_expiry_and_a_second_person(project, users):
    f = finding(project, users["tester"])
    today = timezone.localdate()
    for kw, field in [({"reason": "", "expires_on": today + timedelta(days=9)}, "reason"),
                      ({"reason": "Proxy filters it", "expires_on": today}, "expires_on"),
                      ({"reason": "Proxy filters it", "expires_on": today + timedelta(days=400)}, "expires_on")]:
        with pytest.raises(DomainError) as exc:
            services.finding_request_acceptance(actor=users["tester"], finding=f, **kw)
        assert exc.value.field == field
    f = services.finding_request_acceptance(actor=users["manager"], finding=f, reason="Proxy filters it",
                                            expires_on=today + timedelta(days=30))
    assert f.acceptance_pending and f.status == "open"
    with pytest.raises(DomainError, match="second person"):
        services.finding_approve_acceptance(actor=users["manager"], finding=f)  # the requester may not approve
    with pytest.raises(DomainError) as exc:
        services.finding_approve_acceptance(actor=users["tester"], finding=f)
    assert exc.value.code == "permission"
    second = member(project, "manager")
    f = services.finding_approve_acceptance(actor=second, finding=f)
    assert (f.status, f.risk_approved_by, f.risk_requested_by) == ("risk_accepted", second, users["manager"])
    assert f.history.first().history_user == second


def test_requester_approval_is_refused_by_the_database_too(project, users):
    from django.db import IntegrityError, transaction

    f = finding(project, users["tester"])
    with pytest.raises(IntegrityError), transaction.atomic():
        SecurityFinding.objects.filter(pk=f.pk).update(status="risk_accepted", risk_reason="x",
                                                       risk_expires_on=timezone.localdate(),
                                                       risk_requested_by=users["manager"],
                                                       risk_approved_by=users["manager"])


def test_expired_acceptance_counts_as_open_again(project, users):
    f = finding(project, users["tester"], severity="critical")
    services.finding_request_acceptance(actor=users["tester"], finding=f, reason="Compensating control",
                                        expires_on=timezone.localdate() + timedelta(days=5))
    services.finding_approve_acceptance(actor=users["manager"], finding=f)
    assert open_high_findings(project, 0).passed is True
    with freeze_time(timezone.now() + timedelta(days=6)):
        result = open_high_findings(project, 0)
        assert (result.value, result.passed) == (1, False)
        assert selectors.finding_counts(project)["expired"] == 1


def test_decline_keeps_the_finding_open(project, users):
    f = finding(project, users["tester"])
    f = services.finding_request_acceptance(actor=users["tester"], finding=f, reason="r",
                                            expires_on=timezone.localdate() + timedelta(days=3))
    with pytest.raises(DomainError) as exc:
        services.finding_decline_acceptance(actor=users["developer"], finding=f)
    assert exc.value.code == "permission"
    f = services.finding_decline_acceptance(actor=users["manager"], finding=f, comment="Fix it instead")
    assert not f.acceptance_pending and f.status == "open" and f.risk_reason == ""


def test_finding_to_defect_once(project, users):
    f = finding(project, users["tester"], severity="critical", cwe=89, component="Customer search")
    defect = services.finding_to_defect(actor=users["tester"], finding=f, assignee=users["developer"])
    assert (defect.category, defect.severity, defect.assignee) == ("security", "critical", users["developer"])
    assert "CWE-89" in defect.steps and SecurityFinding.objects.get(pk=f.pk).defect == defect
    with pytest.raises(DomainError, match="already"):
        services.finding_to_defect(actor=users["tester"], finding=f)
    assert Defect.objects.count() == 1


def test_scan_import_deduplicates_and_reopens_what_is_found_again(project, users):
    first = services.findings_import(actor=users["tester"], project=project, tool="zap",
                                     upload=report_file("zap_report.json"))
    assert first == {"created": 4, "updated": 0, "reopened": 0, "total": 4}
    sqli = SecurityFinding.objects.get(title="SQL Injection")
    assert (sqli.severity, sqli.cwe, sqli.source, sqli.key) == ("high", 89, "zap", "SEC-1")
    services.finding_transition(actor=users["developer"], finding=sqli, to="fixed")
    again = services.findings_import(actor=users["tester"], project=project, tool="zap",
                                     upload=report_file("zap_report.json"))
    assert again == {"created": 0, "updated": 3, "reopened": 1, "total": 4}
    sqli.refresh_from_db()
    assert sqli.status == "open" and sqli.import_count == 2 and "Reported again" in sqli.status_note
    assert SecurityFinding.objects.count() == 4
    bandit = services.findings_import(actor=users["tester"], project=project, tool="bandit",
                                      upload=report_file("bandit_report.json"))
    assert bandit["created"] == 2 and SecurityFinding.objects.get(location="counter/db.py:42").number == 5


def test_scan_import_wrong_shape_or_tool_saves_nothing(project, users):
    for tool, name in [("zap", "zap_wrong_shape.json"), ("bandit", "zap_report.json"), ("nessus", "zap_report.json")]:
        with pytest.raises(DomainError):
            services.findings_import(actor=users["tester"], project=project, tool=tool, upload=report_file(name))
    assert not SecurityFinding.objects.exists()
    with pytest.raises(DomainError) as exc:
        services.findings_import(actor=users["developer"], project=project, tool="zap",
                                 upload=report_file("zap_report.json"))
    assert exc.value.code == "permission"


def test_perf_run_and_readiness_use_constant_queries(project, users, django_assert_max_num_queries):
    _target(project, users["tester"], "Transfer", p95_ms=1000)
    for i in range(3):
        _run(project, users["tester"], name=f"run {i}")
    assert PerfRun.objects.count() == 3
    with django_assert_max_num_queries(3):
        performance_targets(project, 100)
    with django_assert_max_num_queries(1):
        open_high_findings(project, 0)
