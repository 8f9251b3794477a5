"""Row locks on PostgreSQL: two workers, two sweeps, at the same time (tests.utils.requires_postgres)."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import delivery, services
from notifications.models import EmailStatus, Notification
from notifications.reminders import SHIFT
from tests.notifications.factories import many
from tests.projects.factories import ProjectFactory, ShiftFactory, UserFactory, member
from tests.utils import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(target, n=2):
    barrier = threading.Barrier(n)
    errors = []

    def run():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_two_workers_at_once_send_every_email_exactly_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    users = [UserFactory() for _ in range(5)]
    for user in users:
        many(user, 8)
    _in_threads(delivery.deliver_outbox, n=3)
    assert Notification.objects.filter(email_status=EmailStatus.SENT).count() == 40
    assert len(mail.outbox) == 40


def test_two_sweeps_at_once_create_no_duplicates():
    now = timezone.now()
    project = ProjectFactory(go_live_at=now + timedelta(days=20), window_start=now + timedelta(days=19),
                             window_end=now + timedelta(days=20))
    for _ in range(30):
        ShiftFactory(project=project, user=member(project, "ops"), starts_at=now + timedelta(hours=2))
    reports = []
    _in_threads(lambda: reports.append(services.sweep(kinds=[SHIFT], enqueue=False, batch_size=7)), n=2)
    assert Notification.objects.filter(kind=SHIFT).count() == 30
    assert sum(r.inserted for r in reports) == 30  # each counts what it wrote, not what it tried
