from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import sweep
from readiness import registry as readiness
from tasks import services
from tests.tasks.factories import chain, play, run, runbook

pytestmark = pytest.mark.django_db


def test_work_item_reminders_due_soon_and_overdue_once(project, users):
    now = timezone.now()
    owner = users["ops"]
    services.workitem_create(actor=owner, project=project, title="UPS test", owner=owner,
                             due_at=now + timedelta(hours=10))
    services.workitem_create(actor=owner, project=project, title="Manuals", owner=owner,
                             due_at=now - timedelta(hours=2))
    services.workitem_create(actor=owner, project=project, title="Far away", owner=owner,
                             due_at=now + timedelta(days=3))
    done = services.workitem_create(actor=owner, project=project, title="Done", owner=owner,
                                    due_at=now + timedelta(hours=1))
    services.workitem_set_status(actor=owner, item=done, status="done")
    for _ in range(2):  # running the sweep twice tells nobody twice
        sweep(now=now, kinds=["workitem_due", "workitem_overdue"], enqueue=False)
    due = Notification.objects.filter(recipient=owner, kind="workitem_due")
    overdue = Notification.objects.filter(recipient=owner, kind="workitem_overdue")
    due_local = timezone.localtime(now + timedelta(hours=10))
    assert [n.message for n in due] == [f"Work item “UPS test” is due {due_local:%Y-%m-%d %H:%M}."]
    assert overdue.count() == 1 and "Manuals" in overdue.get().message


def _criteria(project):
    return {e.key: e for e in readiness.evaluate(project)["criteria"]}


def test_readiness_criteria(project, users):
    c = _criteria(project)
    for key in ("prep_items_done", "rehearsals_in_window", "reconciliation_clean", "contingency_approved"):
        assert not c[key].passed, key
    item = services.workitem_create(actor=users["ops"], project=project, title="UPS", owner=users["ops"])
    services.workitem_create(actor=users["ops"], project=project, title="War room", phase="cutover")
    services.workitem_set_status(actor=users["ops"], item=item, status="done")
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 2, minutes=30)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(days=7)
    r1 = play(run(rb, users["ops"], planned_start=start), users["ops"], {"Step 1": 60 * 20})  # over the window
    services.check_create(actor=users["ops"], run=r1, entity="accounts", source_count=2, target_count=2)
    c = _criteria(project)
    assert c["prep_items_done"].passed  # the cutover-phase item does not count
    assert not c["rehearsals_in_window"].passed and c["reconciliation_clean"].passed
    r2 = play(run(rb, users["ops"], planned_start=start + timedelta(days=2)), users["ops"])
    services.check_create(actor=users["ops"], run=r2, entity="accounts", source_count=2, target_count=1)
    c = _criteria(project)
    assert c["rehearsals_in_window"].passed
    assert not c["reconciliation_clean"].passed and "1 mismatching" in str(c["reconciliation_clean"].result.explanation)
    plan = services.plan_save(actor=users["ops"], project=project, rollback_criteria="x")
    services.plan_approve(actor=users["manager"], plan=plan, as_role="manager")
    assert not _criteria(project)["contingency_approved"].passed
    services.plan_approve(actor=users["business"], plan=plan, as_role="business")
    assert _criteria(project)["contingency_approved"].passed
