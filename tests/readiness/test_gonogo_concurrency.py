"""Row locks and constraints of the go/no-go decision under concurrent requests (PostgreSQL only)."""

import threading

import pytest
from django.db import connection

from projects.errors import DomainError
from readiness import services as gonogo
from readiness.models import GoNoGoDecision, GoNoGoSignOff, Verdict
from tests.projects.factories import member
from tests.utils import requires_postgres

PASSWORD = "correct-horse-battery"


def _race(n, func):
    barrier, results = threading.Barrier(n), []

    def run(i):
        try:
            barrier.wait(timeout=10)
            func(i)
            results.append("ok")
        except DomainError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_opening_at_once_make_one_meeting(project):
    managers = [member(project, "manager") for _ in range(3)]
    results = _race(3, lambda i: gonogo.gonogo_open(actor=managers[i], project=project, title=f"G{i}"))
    assert results == ["ok", "refused", "refused"]
    assert GoNoGoDecision.objects.filter(project=project).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_signing_the_same_role_at_once_make_one_sign_off(project):
    manager, ops, ops2 = member(project, "manager"), member(project, "ops"), member(project, "ops")
    decision = gonogo.gonogo_open(actor=manager, project=project, title="G", required_roles=["manager", "ops"])
    gonogo.gonogo_sign(decision=decision, actor=manager, role="manager", verdict=Verdict.GO, password=PASSWORD)
    # two ops engineers race for the single ops sign-off: one signs, the other is told it is taken
    results = _race(2, lambda i: gonogo.gonogo_sign(decision=decision, actor=[ops, ops2][i], role="ops",
                                                    verdict=Verdict.GO, password=PASSWORD))
    assert results == ["ok", "refused"]
    assert GoNoGoSignOff.objects.filter(decision=decision, role="ops").count() == 1
