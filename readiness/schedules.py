"""Periodic jobs of readiness, installed into django-celery-beat by `setup_schedules`."""

# (name, task path, crontab kwargs)
SCHEDULES = [
    # Late evening, local time: the day's final state becomes that day's point on the trend charts.
    ("Readiness snapshot", "readiness.tasks.snapshot_readiness", {"minute": "50", "hour": "23"}),
    # Friday afternoon, local time: the week's status report goes to the managers and sponsors; the PM
    # writes the summary during the week (or sends it earlier from the report page).
    ("Weekly status report", "readiness.tasks.send_status_reports", {"minute": "0", "hour": "16", "day_of_week": "5"}),
]
