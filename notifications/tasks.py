"""Celery tasks: thin, idempotent, safe to run twice (acks_late + reject_on_worker_lost).

Registered under the names in notifications.queue, through which the services queue them."""

from celery import shared_task

from . import queue


@shared_task(name=queue.DELIVER_NOTIFICATION, bind=True, max_retries=6)
def deliver_notification(self, notification_id):
    """Send one notification's e-mail (a sent one is skipped). Retries with exponential back-off."""
    from .delivery import DeliveryFailed, deliver_email

    try:
        deliver_email(notification_id=notification_id)
    except DeliveryFailed as exc:  # SMTP refused / unreachable: the row stays pending
        raise self.retry(exc=exc, countdown=int(exc.retry_in.total_seconds()) + 5) from exc


@shared_task(name=queue.DELIVER_OUTBOX)
def deliver_outbox():
    """Send the pending e-mails of the outbox in batches; queue another round if more remain."""
    from .delivery import deliver_outbox as run

    report = run()
    if report.more and report.emails:
        queue.enqueue_outbox()
    return str(report)


@shared_task(name=queue.SWEEP)
def sweep():
    """Find every due reminder and write it (then the outbox is queued on commit)."""
    from .services import sweep as run

    return str(run())


@shared_task(name=queue.DELIVER_CHANNEL)
def deliver_channel(channel_id):
    """Send a chat channel's pending messages; when its rate limit is reached, come back when it frees."""
    from django.utils import timezone

    from .robots import deliver_channel as run

    report = run(channel_id=channel_id)
    if report.wait_until:
        queue.enqueue_channel(channel_id, countdown=max(1, int((report.wait_until - timezone.now()).total_seconds())
                                                        + 1))
    return str(report)


@shared_task(name=queue.ESCALATE)
def escalate():
    """Every minute: call the next step of unacknowledged alerts, then send what waits for the chats
    (retries after a back-off, and messages queued while the broker was down)."""
    from .robots import channels_with_due_messages
    from .services import alerts_escalate

    moved = alerts_escalate()
    for channel_id in channels_with_due_messages():
        queue.enqueue_channel(channel_id)
    return f"{moved} alert(s) escalated"
