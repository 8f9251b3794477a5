"""Row-lock behaviour; runs only on PostgreSQL (CI sets DATABASE_URL)."""

import threading

import pytest
from django.db import connection

from defects import services
from defects.models import Defect, DefectTransition
from projects.errors import DomainError
from tests.defects.factories import defect_in, file_defect
from tests.projects.factories import member
from tests.utils import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _run(n, target):
    barrier, out = threading.Barrier(n), []

    def work(i):
        try:
            barrier.wait(timeout=10)
            out.append(target(i))
        except DomainError as exc:
            out.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_filings_get_distinct_numbers(project):
    testers = [member(project, "tester") for _ in range(6)]
    out = _run(6, lambda i: file_defect(project, testers[i], title=f"D{i}"))
    assert not [o for o in out if isinstance(o, Exception)]
    assert sorted(Defect.objects.filter(project=project).values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_concurrent_transitions_apply_once(project):
    testers = [member(project, "tester") for _ in range(4)]
    d = defect_in(project, "fixed", reporter=testers[0])
    out = _run(4, lambda i: services.defect_transition(actor=testers[i], defect=d, to="verified"))
    assert sum(1 for o in out if isinstance(o, Defect)) == 1
    assert sum(1 for o in out if isinstance(o, DomainError)) == 3
    assert DefectTransition.objects.filter(defect=d, to_status="verified").count() == 1
