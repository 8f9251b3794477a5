"""Periodic jobs of hypercare, installed into django-celery-beat by `setup_schedules`.

The daily hypercare report goes out every morning to the members who asked for it, while the
project is in hypercare. Retrospective actions are reminded by the notifications sweep
(hypercare/reminders.py)."""

SCHEDULES = [
    ("Daily hypercare report", "hypercare.tasks.send_hypercare_reports", {"minute": "30", "hour": "7"}),
]
