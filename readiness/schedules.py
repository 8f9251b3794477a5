"""Periodic jobs of readiness, installed into django-celery-beat by `setup_schedules`."""

# (name, task path, crontab kwargs)
SCHEDULES = [
    # Late evening, local time: the day's final state becomes that day's point on the trend charts.
    ("Readiness snapshot", "readiness.tasks.snapshot_readiness", {"minute": "50", "hour": "23"}),
]
