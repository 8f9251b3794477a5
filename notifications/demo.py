"""Demo notifications for `manage.py seed_demo` (idempotent); preferences are in demo_preferences."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from . import services
from .models import EmailStatus, Notification
from .reminders import SLIPPING


def seed(*, project, people, stdout=None):
    if Notification.objects.filter(project=project, dedupe_key__startswith="demo:").exists():
        return
    users = {u.username: u for us in people.values() for u in us}
    now = timezone.now()
    home = reverse("projects:home", args=[project.pk])
    rota = reverse("projects:rota", args=[project.pk])
    rows = [
        # (username, kind, message, url, hours ago, read)
        ("ops", "oncall_shift_starting", f"You are on call for {project.code} during the cutover window "
         f"({timezone.localtime(project.window_start):%Y-%m-%d %H:%M}).", rota, 1, False),
        ("tester", "defect_assigned", "Defect “Interest accrual off by one day on leap years” is waiting for "
         "your re-test.", home, 5, False),
        ("dev", "defect_assigned", "You were assigned “Batch job EOD-07 times out after migration”.", home, 3, False),
        ("business", "requirement_review_waiting", "Requirement “Joint account signatories” has waited 3 days "
         "for your review.", home, 20, False),
        ("trainer", "training_session_soon", "Your session “Teller counter basics” starts in 24 hours "
         "(18 enrolled).", home, 4, False),
        ("staff", "training_session_soon", "Reminder: “Teller counter basics” tomorrow 09:30, Training Room 2.",
         home, 4, False),
        ("staff", "training_promoted", "A seat freed up: you are now enrolled in “New loan workflow”.", home, 72,
         True),
    ]
    made = []
    for username, kind, message, url, hours, read in rows:
        user = users.get(username)
        if user is None:
            continue
        n = services.notify(recipient=user, kind=kind, message=message, url=url, project=project,
                            dedupe_key=f"demo:{project.pk}:{username}:{kind}:{hours}")
        if n is None:
            continue
        made.append(n.pk)
        when = now - timedelta(hours=hours)
        # Demo history: these were delivered long ago, so no e-mail goes out for them now.
        Notification.objects.filter(pk=n.pk).update(created_at=when, email_status=EmailStatus.SENT,
                                                    email_sent_at=when, read_at=when + timedelta(minutes=20)
                                                    if read else None)
    report = services.sweep(kinds=[SLIPPING], enqueue=False)  # the real rule: slipping milestones → managers
    if stdout:
        stdout.write(f"Notifications: {len(made)} demo notifications, {report.inserted} from the reminder sweep.")
