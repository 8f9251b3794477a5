"""Benchmark the reminder sweep: N due on-call shifts in a scratch project, two sweeps, figures.

Run it on a scratch PostgreSQL database (it refuses SQLite):
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/liftoff_bench
    manage.py migrate && manage.py bench_sweep --candidates 100000
The candidates are generated in SQL (so the set-up costs no Python memory); the scratch project
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
        code = f"bench-{int(time.time())}"
        with transaction.atomic(), connection.cursor() as c:
            c.execute("""INSERT INTO projects_project (name, code, description, go_live_at, window_start, window_end,
                         hypercare_days, phase, readiness_targets, created_at)
                         VALUES ('Sweep benchmark', %s, '', now() + interval '30 days', now() + interval '29 days',
                         now() + interval '30 days', 28, 'testing', '{}', now()) RETURNING id""", [code])
            project_id = c.fetchone()[0]
            c.execute("""INSERT INTO auth_user (username, email, password, is_superuser, is_staff, is_active,
                         first_name, last_name, date_joined)
                         SELECT %s || '-' || i, %s || '-' || i || '@bank.example', '!', false, false, true, '', '',
                         now() FROM generate_series(1, %s) i""", [code, code, people])
            c.execute("""INSERT INTO projects_oncallshift (project_id, user_id, starts_at, ends_at, note)
                         SELECT %s, u.id, now() + interval '5 minutes' + (i * interval '11 hours') / %s,
                                now() + interval '17 hours' + (i * interval '11 hours') / %s, ''
                         FROM generate_series(1, %s) i
                         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM auth_user
                               WHERE username LIKE %s) u ON u.n = i %% %s""",
                      [project_id, candidates, candidates, candidates, f"{code}-%", people])
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
            with transaction.atomic(), connection.cursor() as c:
                c.execute("DELETE FROM notifications_notification WHERE project_id = %s", [project_id])
                c.execute("DELETE FROM projects_oncallshift WHERE project_id = %s", [project_id])
                c.execute("DELETE FROM projects_project WHERE id = %s", [project_id])
                c.execute("DELETE FROM auth_user WHERE username LIKE %s", [f"{code}-%"])
