"""`manage.py seed_scale`: grow a separate launch to a real bank's size, for benchmarks.

50,000 defects, 10,000 requirements, 5,000 staff, 80 training sessions, a 2,000-step runbook
with about 4,000 dependencies and a rehearsal run a quarter done. Built through bulk inserts (no
audit history for the bulk rows: this is benchmark data, not a launch), in minutes. Idempotent:
each app's part does nothing when its data is there already.
"""

import time
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from projects import scale

# Each app's part lives in `<app>/scale.py` (`seed(*, project, people, size, stdout)`), in this order.
APPS = ["requirements", "defects", "training", "tasks", "hypercare", "notifications"]


class Command(BaseCommand):
    help = "Create (or complete) the SCALE benchmark launch: 50k defects, 10k requirements, 5k staff, 2k steps."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=float, default=1.0,
                            help="Scale factor (1 = the full size; 0.1 for a quick try).")
        parser.add_argument("--allow-debug-off", action="store_true",
                            help="Run with DEBUG off (a benchmark database of a production-like set-up).")

    def handle(self, *args, size, allow_debug_off, **options):
        if not settings.DEBUG and not allow_debug_off:
            raise CommandError("DEBUG is off: this writes 100,000s of benchmark rows. Pass --allow-debug-off "
                               "if this database is a benchmark database.")
        if size <= 0:
            raise CommandError("--size must be above 0.")
        started = time.monotonic()
        with transaction.atomic():
            project, people = scale.seed(size=size, stdout=self.stdout)
        for app in APPS:
            if app in settings.LIFTOFF_APPS and find_spec(f"{app}.scale") is not None:
                t0 = time.monotonic()
                with transaction.atomic():
                    import_module(f"{app}.scale").seed(project=project, people=people, size=size, stdout=self.stdout)
                self.stdout.write(f"  {app}: {time.monotonic() - t0:.1f} s")
        with connection.cursor() as cursor:  # fresh planner statistics, as a database in service has
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(
            f"Scale launch {project.code} (id {project.pk}) ready in {time.monotonic() - started:.0f} s. "
            f"Log in as {scale.MANAGER} (password {scale.PASSWORD})."))
