"""Benchmark every main page and list API of the SCALE launch, served for real.

    manage.py seed_scale                          # once: 50k defects, 10k requirements, 5k staff, 2k steps
    .venv/bin/python scripts/bench_scale.py [--clients 10] [--seconds 6] [--workers 2] [--only board,raci]
                                            [--changes 1]

It serves the database of DATABASE_URL (default: PostgreSQL `liftoff_scale` on 127.0.0.1) with
gunicorn (DEBUG off, as in production), logged in as the scale project's manager, and prints per
page: queries (one in-process request computed, not from the page cache, with the project's shared
figures cached / one right after a change, everything computed) and bytes, the sequential
median computed ("cold": the project's version is bumped before each request, as after a change, so
nothing cached is served) and re-read ("warm": the same page again, as people re-read and the run
board polls), then requests per second, p50/p95/p99 with N concurrent clients, the throughput as a
share of a bare view's (`/healthz`) measured in the same run, and the web workers' RSS after the
run. With `--changes N` the project changes N times a second during the load (a version bump, as an
audited write does), so part of the requests are computed again. A measurement, not a test: nothing
here asserts.
"""

import argparse
import http.client
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/liftoff_scale"
SERVER_ENV = {  # what the served processes get: production settings, on plain HTTP on loopback
    "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0",
    "MANIFEST_STATIC": "0", "AXES_ENABLED": "0", "LOG_LEVEL": "WARNING",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=6.0, help="load per page with all clients")
    parser.add_argument("--sequential", type=int, default=15, help="sequential requests per page (median)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--only", default="", help="comma-separated page names to run (default: all)")
    parser.add_argument("--changes", type=float, default=0.0,
                        help="project changes per second during the load (cached pages are rebuilt after each)")
    parser.add_argument("--no-load", action="store_true", help="queries, bytes and sequential times only")
    parser.add_argument("--in-process", action="store_true",
                        help="no server: time each page through Django's test client (for profiling)")
    return parser.parse_args()


def setup_django():
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(24))
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()


def targets():
    """(name, path) of every page and list API to measure, with the scale project's ids filled in."""
    from django.urls import reverse

    from projects.models import Project
    from projects.scale import CODE
    from tasks.models import Run, Runbook
    from training.models import Session

    project = Project.objects.filter(code=CODE).first()
    if project is None:
        sys.exit("No scale launch in this database: run `manage.py seed_scale` first.")
    pk = project.pk
    runbook = Runbook.objects.filter(project=project).first()
    run = Run.objects.filter(project=project).first()
    session = Session.objects.filter(project=project).order_by("-starts_at").first()
    cycle = project.test_cycles.order_by("-planned_start").first()

    def page(name, *args):
        return name.replace(":", " "), reverse(name, args=[pk, *args])

    pages = [
        ("projects", reverse("projects:list")), ("home", reverse("projects:home", args=[pk])),
        page("projects:roster"), page("projects:raci"), page("projects:rota"), page("readiness:scorecard"),
        page("readiness:gonogo_list"),
        page("requirements:list"), page("requirements:review"), page("requirements:progress"),
        page("requirements:conflicts"), page("requirements:surveys"),
        page("defects:list"), page("defects:board"), page("defects:metrics"), page("defects:cycles"),
        page("defects:cycle", cycle.pk), page("defects:cases"),
        page("training:catalogue"), page("training:mine"), page("training:courses"), page("training:coverage"),
        page("training:session", session.pk),
        page("tasks:workitems"), page("tasks:runbooks"), page("tasks:runbook", runbook.pk), page("tasks:run", run.pk),
        page("tasks:compare", runbook.pk), page("tasks:contingency"),
        page("hypercare:dashboard"), page("hypercare:feedback_list"), page("hypercare:lessons"),
        ("inbox", reverse("notifications:inbox")),
    ]
    apis = [f"/api/v1/{p}/?project={pk}" for p in (
        "projects", "departments", "milestones", "responsibilities", "shifts", "requirements", "requirement-conflicts",
        "surveys", "defects", "test-cycles", "test-cases", "training/courses", "training/sessions", "work-items",
        "runbooks", "runs", "migration-checks", "feedback", "lessons", "lesson-actions", "gonogo-decisions")]
    apis = [("api " + a.split("/api/v1/")[1].split("/?")[0], a) for a in apis]
    apis += [("api notifications", "/api/v1/notifications/"), ("api readiness", f"/api/v1/projects/{pk}/readiness/"),
             ("api run steps", f"/api/v1/runs/{run.pk}/steps/"), ("api runbook steps", f"/api/v1/runbooks/{runbook.pk}/steps/")]
    return project, pages, apis


def credentials(project):
    """A session cookie and an API token of the scale project's manager (no login round trip)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from projects.scale import MANAGER
    from projects.services import api_token_issue

    user = get_user_model().objects.get(username=MANAGER)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    _token, key = api_token_issue(user=user)
    return user, {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}, \
        {"Authorization": f"Token {key}"}


def in_process(user, project_id, path, headers, repeat=0):
    """Queries and bytes of one computed request through Django's test client (after one warm-up
    request), and the median times of `repeat` more computed (cold) and re-read (warm)."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if "Authorization" in headers:
        client.defaults["HTTP_AUTHORIZATION"] = headers["Authorization"]
    else:
        client.force_login(user)
    from django.test import override_settings

    client.get(path)
    reset_queries()  # the query log is a bounded deque: empty it so the count below is exact
    with override_settings(PAGE_CACHE=False), CaptureQueriesContext(connection) as ctx:
        response = client.get(path)  # the page computed, the project's shared figures as cached
    queries = len(ctx.captured_queries)
    changed(project_id)
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)  # right after a change: everything computed
    queries_cold = len(ctx.captured_queries)  # now: the next requests empty the log
    cold, warm = [], []
    for _ in range(repeat):
        changed(project_id)
        t0 = time.perf_counter()
        client.get(path)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        client.get(path)
        warm.append(time.perf_counter() - t0)
    return response.status_code, (queries, queries_cold), len(response.content), median_ms(cold), median_ms(warm)


def median_ms(times):
    return statistics.median(times) * 1000 if times else float("nan")


def changed(project_id):
    """What an audited write does to the project's caches: a new version, nothing cached is served."""
    from projects import freshness

    freshness.bump(project_id)


def changes(project_id, per_second, stop):
    """Bump the project's version `per_second` times a second until `stop` is set (a thread)."""
    while not stop.wait(1 / per_second):
        changed(project_id)


def fetch(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return response.status, len(body), elapsed


def load(port, path, headers, clients, seconds):
    """`clients` threads requesting `path` back to back for `seconds`: (requests/s, latencies, errors)."""
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + seconds

    def work():
        while time.perf_counter() < stop:
            try:
                status, _n, elapsed = fetch(port, path, headers)
            except OSError:
                status, elapsed = 0, 0
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies, errors[0]


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def worker_rss(master_pid):
    """RSS in MB of each web worker (the gunicorn master's children)."""
    rss = []
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss.append(int(line.split()[1]) / 1024)
    return rss


def serve(args):
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": os.environ["DATABASE_URL"],
           "SECRET_KEY": os.environ["SECRET_KEY"], "REDIS_URL": os.environ["REDIS_URL"]}
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    config = ROOT / "deploy" / "gunicorn.conf.py"
    cmd = [gunicorn, "config.wsgi:application", "--workers", str(args.workers), "--bind", f"127.0.0.1:{args.port}",
           "--log-level", "warning", "--timeout", "120"]
    if config.exists():
        cmd += ["--config", str(config)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            if fetch(args.port, "/healthz", {})[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not start")


def main():
    args = parse_args()
    setup_django()
    project, pages, apis = targets()
    user, cookie, token = credentials(project)
    only = {o.strip() for o in args.only.split(",") if o.strip()}
    rows = [(name, path, cookie) for name, path in pages] + [(name, path, token) for name, path in apis]
    if only:
        rows = [r for r in rows if r[0] in only]
    if args.in_process:
        print(f"{'page':<28} {'st':>3} {'queries':>9} {'KB':>7} {'cold ms':>7} {'warm ms':>7}")
        for name, path, headers in rows:
            status, queries, size, cold, warm = in_process(user, project.pk, path, headers, repeat=args.sequential)
            print(f"{name:<28} {status:>3} {'/'.join(map(str, queries)):>9} {size / 1024:>7.0f} {cold:>7.0f} {warm:>7.0f}",
                  flush=True)
        return
    proc = serve(args)
    try:
        for _ in range(20):
            fetch(args.port, "/healthz", {})
        bare_rps = None
        if not args.no_load:
            bare_rps, bare_lat, _e = load(args.port, "/healthz", {}, args.clients, args.seconds)
        print(f"\nSCALE launch {project.code}: {len(rows)} pages and APIs, {args.clients} clients, "
              f"{args.seconds:g} s each, gunicorn {args.workers} workers, DEBUG off, "
              f"{args.changes:g} project changes a second during the load")
        if bare_rps:
            print(f"bare view /healthz: {bare_rps:.0f} req/s, p95 {pct(bare_lat, 95):.1f} ms")
        head = (f"{'page':<28} {'st':>3} {'queries':>9} {'KB':>7} {'cold ms':>7} {'warm ms':>7} {'req/s':>7} {'vs bare':>8} "
                f"{'p50':>6} {'p95':>6} {'p99':>6} {'err':>4}")
        print(head)
        print("-" * len(head))
        for name, path, headers in rows:
            status, queries, size, _cold, _warm = in_process(user, project.pk, path, headers)
            for _ in range(2):
                fetch(args.port, path, headers)
            cold, warm = [], []
            for _ in range(args.sequential):
                changed(project.pk)
                cold.append(fetch(args.port, path, headers)[2])
                warm.append(fetch(args.port, path, headers)[2])
            line = (f"{name:<28} {status:>3} {'/'.join(map(str, queries)):>9} {size / 1024:>7.0f} {median_ms(cold):>7.0f} "
                    f"{median_ms(warm):>7.0f}")
            if not args.no_load:
                stop = threading.Event()
                bumper = threading.Thread(target=changes, args=(project.pk, args.changes, stop))
                if args.changes > 0:
                    bumper.start()
                try:
                    rps, lat, errors = load(args.port, path, headers, args.clients, args.seconds)
                finally:
                    stop.set()
                    if bumper.is_alive():
                        bumper.join()
                line += (f" {rps:>7.1f} {rps / bare_rps * 100:>7.1f}% {pct(lat, 50):>6.0f} {pct(lat, 95):>6.0f} "
                         f"{pct(lat, 99):>6.0f} {errors:>4}")
            print(line, flush=True)
        rss = worker_rss(proc.pid)
        print(f"\nweb worker RSS after the run: {', '.join(f'{r:.0f} MB' for r in rss)}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
