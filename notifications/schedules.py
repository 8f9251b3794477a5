"""Periodic jobs of the notifications app, installed into django-celery-beat by `setup_schedules`.

One sweep every five minutes: it writes what is due and queues the outbox, so digests, quiet
hours and retries that came due meanwhile go out with it.
"""

SCHEDULES = [
    ("Reminder sweep (notifications)", "notifications.tasks.sweep", {"minute": "*/5"}),
]
