"""Periodic jobs of the defects app, installed into django-celery-beat by `setup_schedules`.

SLA reminders run in the notifications sweep (defects/reminders.py); the daily hypercare report
goes out every morning to the members who asked for it, while the project is in hypercare."""

SCHEDULES = [
    ("Daily hypercare report (defects)", "defects.tasks.send_hypercare_reports", {"minute": "30", "hour": "7"}),
]
