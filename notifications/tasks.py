from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5)
def deliver_notification(self, notification_id):
    """Send one notification's e-mail (idempotent: a sent one is skipped)."""
    from .delivery import deliver_email

    try:
        deliver_email(notification_id=notification_id)
    except OSError as exc:  # SMTP and socket errors: retry with exponential backoff
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries * 30, 1800)) from exc
