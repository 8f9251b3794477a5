"""Periodic jobs of the projects app, installed into django-celery-beat by `setup_schedules`."""

SCHEDULES = []  # (name, task path, crontab kwargs) — e.g. ("Readiness snapshot", "x.tasks.y", {"minute": "5"})
