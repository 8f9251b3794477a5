"""Row-lock behaviour; runs only on PostgreSQL (CI sets DATABASE_URL)."""


import pytest

from defects import services
from defects.models import Defect, DefectTransition
from projects.errors import DomainError
from tests.defects.factories import defect_in, file_defect
from tests.projects.factories import member
from tests.utils import requires_postgres, run_concurrently

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_filings_get_distinct_numbers(project):
    testers = [member(project, "tester") for _ in range(6)]
    out = run_concurrently(6, lambda i: file_defect(project, testers[i], title=f"D{i}"))
    assert not [o for o in out if isinstance(o, Exception)]
    assert sorted(Defect.objects.filter(project=project).values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_concurrent_transitions_apply_once(project):
    testers = [member(project, "tester") for _ in range(4)]
    d = defect_in(project, "fixed", reporter=testers[0])
    out = run_concurrently(4, lambda i: services.defect_transition(actor=testers[i], defect=d, to="verified"))
    assert sum(1 for o in out if isinstance(o, Defect)) == 1
    assert sum(1 for o in out if isinstance(o, DomainError)) == 3
    assert DefectTransition.objects.filter(defect=d, to_status="verified").count() == 1


def test_concurrent_junit_imports_create_each_case_once(project):
    from defects.models import TestCase
    from tests.defects.factories import cycle, report_file

    testers = [member(project, "tester") for _ in range(3)]
    cycles = [cycle(project, testers[0], name=f"CI {i}") for i in range(3)]
    out = run_concurrently(3, lambda i: services.junit_import(actor=testers[i], cycle=cycles[i],
                                                              upload=report_file("junit_pytest.xml")))
    assert not [o for o in out if isinstance(o, Exception)]
    assert sorted(o["cases_created"] for o in out) == [0, 0, 5]
    assert TestCase.objects.filter(project=project).count() == 5
    assert all(c.results.count() == 5 for c in cycles)


def test_concurrent_scan_imports_number_once_and_do_not_duplicate(project):
    from defects.models import SecurityFinding
    from tests.defects.factories import report_file

    testers = [member(project, "tester") for _ in range(3)]
    out = run_concurrently(3, lambda i: services.findings_import(actor=testers[i], project=project, tool="zap",
                                                                 upload=report_file("zap_report.json")))
    assert not [o for o in out if isinstance(o, Exception)]
    assert sorted(SecurityFinding.objects.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_acceptance_is_approved_once(project):
    from datetime import timedelta

    from django.utils import timezone

    from defects.models import SecurityFinding
    from tests.defects.factories import finding

    tester = member(project, "tester")
    managers = [member(project, "manager") for _ in range(3)]
    f = finding(project, tester)
    services.finding_request_acceptance(actor=tester, finding=f, reason="WAF",
                                        expires_on=timezone.localdate() + timedelta(days=9))
    out = run_concurrently(3, lambda i: services.finding_approve_acceptance(actor=managers[i], finding=f))
    assert sum(1 for o in out if isinstance(o, SecurityFinding)) == 1
    assert sum(1 for o in out if isinstance(o, DomainError)) == 2
