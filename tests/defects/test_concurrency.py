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
