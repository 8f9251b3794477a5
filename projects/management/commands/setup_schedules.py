from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

APPS = ["projects", "requirements", "defects", "training", "tasks", "notifications"]


class Command(BaseCommand):
    help = "Install every app's periodic jobs (`<app>/schedules.py` SCHEDULES) into django-celery-beat."

    def handle(self, *args, **options):
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        count = 0
        for app in APPS:
            if find_spec(f"{app}.schedules") is None:
                continue
            for name, task, cron in import_module(f"{app}.schedules").SCHEDULES:
                schedule, _ = CrontabSchedule.objects.get_or_create(
                    minute=cron.get("minute", "*"), hour=cron.get("hour", "*"),
                    day_of_week=cron.get("day_of_week", "*"), day_of_month=cron.get("day_of_month", "*"),
                    month_of_year=cron.get("month_of_year", "*"),
                )
                PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "crontab": schedule})
                count += 1
        self.stdout.write(f"{count} periodic job(s) scheduled.")
