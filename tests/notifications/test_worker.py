"""End to end through a real Celery worker and the real Redis broker (skipped without Redis).

The worker runs in a thread of this process (celery.contrib.testing), on its own queue so that
it never takes work from, or gives work to, anybody else's worker on the same Redis.
"""

import time
import uuid

import pytest
from django.core import mail
from django.db import transaction

from config.celery import app
from notifications import queue, services
from notifications.models import EmailStatus, Notification
from projects.health import broker_ok
from tests.projects.factories import UserFactory

pytestmark = [
    pytest.mark.skipif(not broker_ok(timeout=0.5)[0], reason="needs Redis (CI starts it)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def _no_broker(monkeypatch):
    """This module talks to the real broker (overrides the package-wide fake)."""
    monkeypatch.setattr(queue, "_broker_state", {"ok": True, "checked": 0.0})
    return []


@pytest.fixture
def worker(settings):
    from celery.contrib.testing.worker import start_worker

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    queue = f"liftoff-test-{uuid.uuid4().hex[:8]}"
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    app.amqp.queues.select_add(queue)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
                          queues=[queue], shutdown_timeout=10):
            yield
    finally:
        app.conf.task_default_queue = old_queue


def test_real_worker_delivers_a_notification_end_to_end(worker):
    mail.outbox = []
    user = UserFactory(email="e2e@bank.example")
    with transaction.atomic():
        n = services.notify(recipient=user, kind="step_ready", message="Step 7 is ready", dedupe_key="e2e-1")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # polling a real worker, not sleeping for time to pass
        n.refresh_from_db()
        if n.email_status == EmailStatus.SENT:
            break
        time.sleep(0.1)
    assert n.email_status == EmailStatus.SENT and n.email_sent_at is not None
    assert [m.to for m in mail.outbox] == [["e2e@bank.example"]]
    assert Notification.objects.count() == 1
