from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand

# Names a job had in an earlier release, so an upgraded database keeps one row per job.
RENAMED = {"Daily hypercare report (defects)": "Daily hypercare report"}


class Command(BaseCommand):
    help = ("Install every app's periodic jobs (`<app>/schedules.py` SCHEDULES) into django-celery-beat, and "
            "remove jobs of Liftoff's apps whose task no longer exists (moved or retired in an upgrade).")

    def handle(self, *args, **options):
        from celery import current_app as celery_app  # the project's app (config/celery.py), set up with Django
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        for old, new in RENAMED.items():
            if not PeriodicTask.objects.filter(name=new).exists():
                PeriodicTask.objects.filter(name=old).update(name=new)
        count = 0
        for app in settings.LIFTOFF_APPS:
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
        # A job an administrator added for a task of another package is left alone.
        celery_app.loader.import_default_modules()
        known = set(celery_app.tasks)
        stale = [t for t in PeriodicTask.objects.all()
                 if t.task.split(".", 1)[0] in settings.LIFTOFF_APPS and t.task not in known]
        for task in stale:
            self.stdout.write(f"Removed job “{task.name}”: task {task.task} no longer exists.")
            task.delete()
        self.stdout.write(f"{count} periodic job(s) scheduled.")
