from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one person. The database is the outbox: Celery only carries the work."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60)
    message = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(fields=["email_sent_at", "created_at"], name="notif_email_pending"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient}: {self.message[:40]}"
