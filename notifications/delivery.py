from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


def deliver_email(*, notification_id):
    """Send the e-mail for one notification and mark it sent; never mark it unless it was sent."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        )
        if notification is None or notification.email_sent_at is not None:
            return False
        if notification.recipient.email:
            send_mail(subject=f"[Liftoff] {notification.message[:80]}", message=notification.message,
                      from_email=None, recipient_list=[notification.recipient.email])
        notification.email_sent_at = timezone.now()
        notification.save(update_fields=["email_sent_at"])
    return True
