"""Notifications of the SCALE benchmark launch (`manage.py seed_scale`): the manager's inbox with a
few hundred read and unread notifications. Bulk, idempotent."""

from datetime import timedelta

from django.utils import timezone

from .models import EmailStatus, Notification
from .registry import message


def seed(*, project, people, size=1.0, stdout=None):
    pm = people["manager"][0]
    if Notification.objects.filter(recipient=pm, project=project).exists():
        return
    now = timezone.now()
    texts = [message("defect_assigned", key=f"D-{k}", title=f"Scale defect {k}", severity="major") for k in range(400)]
    Notification.objects.bulk_create([
        Notification(recipient=pm, project=project, kind="defect_assigned", message_key=texts[k].key,
                     params=texts[k].json_params(), message=str(texts[k]),
                     url=f"/projects/{project.pk}/testing/", dedupe_key=f"scale:{project.pk}:{k}",
                     email_status=EmailStatus.SKIPPED, read_at=now if k % 3 else None,
                     created_at=now - timedelta(minutes=k))
        for k in range(400)])
    if stdout:
        stdout.write("Notifications: 400 in the manager's inbox.")
