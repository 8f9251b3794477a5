"""Benchmark: queries and server time per page as the demo project grows.

Runs against a throw-away SQLite database (or DATABASE_URL), loads the demo launch, then
grows the team and rota by a factor and measures each page again. Prints a table; it is a
measurement, not a test (nothing here asserts).

    DEBUG=1 .venv/bin/python scripts/bench.py [--repeat 5] [--grow 10]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOCMEM_CACHE", "1")
os.environ["AXES_ENABLED"] = "0"
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

PAGES = [
    ("projects:list", False), ("projects:home", True), ("projects:roster", True), ("projects:raci", True),
    ("projects:rota", True), ("readiness:scorecard", True), ("requirements:list", True), ("defects:list", True),
    ("training:catalogue", True), ("tasks:runbooks", True),
]
APIS = ["/api/v1/projects/", "/api/v1/milestones/", "/api/v1/shifts/", "/api/v1/requirements/", "/api/v1/defects/",
        "/api/v1/training/sessions/", "/api/v1/runs/"]


def measure(client, url, repeat):
    client.get(url)  # warm up
    reset_queries()  # the query log is a bounded deque: empty it so the count below is exact
    times = []
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return response.status_code, len(ctx.captured_queries), statistics.median(times)


def grow(project, factor):
    from datetime import timedelta

    from django.contrib.auth import get_user_model

    from projects import services
    from projects.models import Membership

    pm = Membership.objects.filter(project=project, role="manager").first().user
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bench{i}", first_name="Bench", last_name=str(i)) for i in range(60 * factor)]
    )
    Membership.objects.bulk_create([Membership(project=project, user=u, role="staff") for u in users])
    start = project.window_start
    for i in range(20 * factor):
        services.shift_create(actor=pm, project=project, user=pm, starts_at=start + timedelta(hours=i),
                              ends_at=start + timedelta(hours=i + 2))
        services.responsibility_set(actor=pm, project=project, area=f"Area {i % (7 * factor)}", user=users[i],
                                    raci="R")


def run(repeat, factor):
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    from django.contrib.auth import get_user_model

    from projects.models import Project

    project = Project.objects.get(code="CBS-2027")
    client = Client()
    client.force_login(get_user_model().objects.get(username="pm"))

    def table(label):
        rows = []
        for name, with_pk in PAGES:
            try:
                url = reverse(name, args=[project.pk]) if with_pk else reverse(name)
            except NoReverseMatch:
                continue
            rows.append((url, *measure(client, url, repeat)))
        for url in APIS:
            rows.append((url + f"?project={project.pk}", *measure(client, url + f"?project={project.pk}", repeat)))
        print(f"\n{label}")
        print(f"{'path':<48} {'status':>6} {'queries':>8} {'median ms':>10}")
        for url, status, queries, ms in rows:
            print(f"{url:<48} {status:>6} {queries:>8} {ms:>10.1f}")
        return {r[0]: r for r in rows}

    before = table(f"Demo launch (repeat={repeat})")
    grow(project, factor)
    after = table(f"After growing the team x{factor} (+{60 * factor} people, +{20 * factor} shifts)")
    changed = [u for u in before if u in after and before[u][2] != after[u][2]]
    print("\nQuery count changed with data size on:", ", ".join(changed) if changed else "no page (constant)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--grow", type=int, default=10)
    args = parser.parse_args()
    run(args.repeat, args.grow)
