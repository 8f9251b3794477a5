"""Periodic jobs of the notifications app, installed into django-celery-beat by `setup_schedules`.

One sweep every five minutes: it writes what is due and queues the outbox, so digests, quiet
hours and retries that came due meanwhile go out with it. Escalation runs every minute (a wait of
ten minutes must not become fifteen) and also sends what waits for the chat channels.
"""

SCHEDULES = [
    ("Reminder sweep (notifications)", "notifications.tasks.sweep", {"minute": "*/5"}),
    ("Alert escalation and chat delivery (notifications)", "notifications.tasks.escalate", {"minute": "*"}),
]
