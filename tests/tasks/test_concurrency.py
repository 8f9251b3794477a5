"""Row locks on runs and run steps: only PostgreSQL shows real contention (tests.utils.requires_postgres)."""

import threading

import pytest
from django.db import connection

from notifications.models import Notification
from projects.errors import DomainError
from tasks import services
from tasks.models import RunStepStatus
from tests.tasks.factories import run, run_step, runbook, step
from tests.utils import requires_postgres

pytestmark = [requires_postgres]


def _race(funcs):
    barrier, results = threading.Barrier(len(funcs)), []

    def go(func):
        try:
            barrier.wait(timeout=10)
            func()
            results.append("ok")
        except DomainError:
            results.append("refused")
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(f,)) for f in funcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_of_one_step_start_it_once(project, users):
    rb = runbook(project, users["ops"])
    a = step(rb, users["ops"], "Stop batch jobs")
    r = run(rb, users["ops"])
    rs = run_step(r, a)
    results = _race([lambda: services.runstep_start(actor=users["ops"], run_step=rs) for _ in range(4)])
    assert results == ["ok", "refused", "refused", "refused"]
    rs.refresh_from_db()
    assert rs.status == RunStepStatus.RUNNING and rs.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_completions_release_the_join_step_once(project, users):
    rb = runbook(project, users["ops"])
    branches = [step(rb, users["ops"], f"Branch {i}") for i in range(4)]
    join = step(rb, users["ops"], "Verify", deps=branches, owner=users["tester"])
    r = run(rb, users["ops"])
    for b in branches:
        services.runstep_start(actor=users["ops"], run_step=run_step(r, b))
    results = _race([lambda b=b: services.runstep_complete(actor=users["ops"], run_step=run_step(r, b))
                     for b in branches])
    assert results == ["ok"] * 4
    assert run_step(r, join).status == RunStepStatus.READY
    assert Notification.objects.filter(recipient=users["tester"], kind="runstep_ready").count() == 1
