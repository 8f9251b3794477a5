"""The one way any app notifies a person. Other apps call `notify(...)` inside their own
transaction; the row is the truth, and delivery is queued only after commit."""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from .models import Notification

log = logging.getLogger(__name__)


def notify(*, recipient, kind, message, dedupe_key, project=None, subject=None, url="", due_at=None):
    """Create the notification unless one with `dedupe_key` exists; queue delivery on commit.

    Returns the new Notification, or None when it was a duplicate (nobody is told twice).
    """
    fields = {"recipient": recipient, "kind": kind, "message": str(message)[:2000], "dedupe_key": dedupe_key[:255],
              "project": project, "url": url, "due_at": due_at}
    if subject is not None:
        fields["subject_type"] = ContentType.objects.get_for_model(subject)
        fields["subject_id"] = subject.pk
    try:
        with transaction.atomic():
            notification = Notification.objects.create(**fields)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: enqueue_delivery(notification.pk))
    return notification


def enqueue_delivery(notification_id):
    """Hand the id to Celery. If the broker is down the row stays pending and the sweep retries."""
    from .tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception as exc:  # noqa: BLE001 - broker unreachable: the outbox keeps it
        log.warning("Broker unavailable, notification %s waits in the outbox: %s", notification_id, exc)
