"""Benchmark the reminder sweep: N due on-call shifts in a scratch project, two sweeps, figures.

Run it on a scratch PostgreSQL database (it refuses SQLite), with DEBUG off as the worker runs
(with DEBUG on, Django keeps every query in memory and the figures say little):
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/liftoff_bench DEBUG=0 SECRET_KEY=bench
    manage.py migrate && manage.py bench_sweep --candidates 100000
The candidates are bulk-created through the ORM in slices (so the peak RSS is the sweep's); the scratch project
and everything it created are deleted at the end.
"""

import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.urls import reverse

from notifications import services
from notifications.reminders import SHIFT


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time one reminder sweep over N due candidates (and a second one that must insert nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--candidates", type=int, default=100_000)
        parser.add_argument("--people", type=int, default=200)

    def handle(self, *args, candidates, people, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Run the benchmark on PostgreSQL (DATABASE_URL=postgres://…).")
        from django.conf import settings

        if settings.DEBUG:
            self.stderr.write("DEBUG is on: Django records every query, so these figures are slower than the "
                              "worker's. Export DEBUG=0 (and a SECRET_KEY) for figures worth quoting.")
        from datetime import timedelta

        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from projects.models import OnCallShift, Project

        User = get_user_model()
        code = f"bench-{int(time.time())}"
        now = timezone.now()
        with transaction.atomic():
            project = Project.objects.create(name="Sweep benchmark", code=code, go_live_at=now + timedelta(days=30),
                                             window_start=now + timedelta(days=29), window_end=now + timedelta(days=30),
                                             phase="testing")
            project_id = project.pk
            users = User.objects.bulk_create(
                [User(username=f"{code}-{i}", email=f"{code}-{i}@bank.example", password="!") for i in range(people)]
            )
            step = timedelta(hours=11) / candidates
            for start in range(0, candidates, 5000):  # in slices, so the set-up does not set the peak RSS
                OnCallShift.objects.bulk_create(
                    [OnCallShift(project=project, user=users[i % people], starts_at=now + timedelta(minutes=5) + i * step,
                                 ends_at=now + timedelta(hours=17) + i * step)
                     for i in range(start, min(start + 5000, candidates))]
                )
        reverse("projects:rota", args=[project_id])  # a running worker has its URLconf loaded already
        self.stdout.write(f"PostgreSQL: {candidates} due on-call shifts for {people} people; "
                          f"RSS before: {_rss_mb():.0f} MB")
        try:
            for label in ("first sweep", "second sweep"):
                started = time.perf_counter()
                report = services.sweep(kinds=[SHIFT], enqueue=False)
                elapsed = time.perf_counter() - started
                self.stdout.write(f"{label}: {elapsed:.2f} s, {report.candidates} candidates, "
                                  f"{report.inserted} inserted; peak RSS {_rss_mb():.0f} MB")
                self.stdout.flush()
        finally:
            from notifications.models import Notification

            with transaction.atomic():
                Notification.objects.filter(project_id=project_id).delete()
                OnCallShift.objects.filter(project_id=project_id).delete()
                Project.objects.filter(pk=project_id).delete()
                User.objects.filter(username__startswith=f"{code}-").delete()
