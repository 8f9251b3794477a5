"""A multi-node Liftoff on one machine, driven and checked (README "Deploying", docs/operations.md).

    .venv/bin/python scripts/cluster_check.py [--database-url postgres://postgres@127.0.0.1:5432/liftoff_cluster]
                                               [--redis-url redis://127.0.0.1:6379/0] [--staff 80 --capacity 20]

Starts, on a fresh PostgreSQL database (dropped and created) and Redis:
  2 gunicorn nodes (two ports, as behind a load balancer: same Host, X-Forwarded-Proto https),
  2 Celery workers, 1 Celery beat; DEBUG off, e-mail to files (counted afterwards).
Then it checks:
  - sessions: every person signs in on one node and signs up on the other, with the same session cookie;
  - no overbooking: N people race for C seats (C enrolled, N-C waitlisted in order, 0 errors);
  - reminders: 4 reminder sweeps run at once on both workers, and every e-mail is delivered exactly once;
  - one beat: for --beat-seconds the one beat sends each every-minute job once a minute; then a second beat
    starts and every job goes out twice (harmless for Liftoff's jobs, which are idempotent, but wasted work).
Prints the figures; exits 1 when a check fails. Every process it starts is stopped at the end.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "liftoff.cluster.test"
PASSWORD = "cluster-check-password-2026"

SETUP = """
import json
from datetime import datetime, timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from projects.models import Project
from training import services
User = get_user_model()
N, CAPACITY, PASSWORD = {n}, {capacity}, {password!r}
now = timezone.now()
pm = User.objects.create_user("cluster-pm", "pm@cluster.test", PASSWORD, is_staff=True)
project = Project.objects.create(name="Cluster check", code="cluster", go_live_at=now + timedelta(days=30),
                                 window_start=now + timedelta(days=29), window_end=now + timedelta(days=30))
project.memberships.create(user=pm, role="manager")
trainer = User.objects.create_user("cluster-trainer", "trainer@cluster.test", PASSWORD)
project.memberships.create(user=trainer, role="trainer")
course = services.course_create(actor=pm, project=project, title="Counter system basics", required_roles=["staff"],
                                required_departments=[])
start = now + timedelta(hours=20)  # inside the 24 h reminder lead time: the sweep reminds every seat holder
session = services.session_create(actor=pm, course=course, starts_at=start, ends_at=start + timedelta(hours=2),
                                  capacity=CAPACITY, mode="offline", location="Room 5", trainer=trainer,
                                  signup_deadline=None)
users = []
for i in range(N):
    user = User.objects.create_user(f"cluster-staff-{{i:03d}}", f"staff{{i:03d}}@cluster.test", PASSWORD)
    project.memberships.create(user=user, role="staff")
    users.append(user.username)
print("SETUP " + json.dumps({{"session": session.pk, "users": users}}))
"""


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


class Node:
    """One browser-like client: cookies kept by hand (the session cookie is Secure; the nodes speak plain
    HTTP behind the 'proxy', which says https in X-Forwarded-Proto)."""

    def __init__(self):
        self.cookies = {}

    def request(self, port, path, *, method="GET", data=None, json_body=None, headers=None):
        body, extra = None, {}
        if data is not None:
            body, extra = urllib.parse.urlencode(data).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        if json_body is not None:
            body, extra = json.dumps(json_body).encode(), {"Content-Type": "application/json"}
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method, headers={
            "Host": HOST, "X-Forwarded-Proto": "https", "Origin": f"https://{HOST}", "Referer": f"https://{HOST}/",
            **({"Cookie": cookie} if cookie else {}), **extra, **(headers or {})})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(req, timeout=60)
            status, response_headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, response_headers, content = exc.code, exc.headers, exc.read()
        for header in response_headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, content


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in_here_sign_up_there(username, login_port, api_port, session_id, results, barrier):
    client = Node()
    try:
        status, page = client.request(login_port, "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _ = client.request(login_port, "/accounts/login/", method="POST",
                                   data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        if status != 302 or "sessionid" not in client.cookies:
            results.append(("login-failed", status))
            return
        barrier.wait(timeout=120)
        status, content = client.request(api_port, f"/api/v1/training/sessions/{session_id}/enroll/", method="POST",
                                         json_body={}, headers={"X-CSRFToken": client.cookies.get("csrftoken", "")})
        state = json.loads(content).get("status") if status == 200 else content[:200]
        # And the session is just as valid back on the first node.
        mine, _ = client.request(login_port, "/api/v1/notifications/")
        results.append((state, status, mine))
    except Exception as exc:  # noqa: BLE001 - reported as a failure below
        results.append(("error", repr(exc)))


def count_mail(folder):
    """Messages written by Django's file e-mail backend, by recipient."""
    by_recipient = Counter()
    for path in Path(folder).glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("To: "):
                by_recipient[line[4:].strip()] += 1
    return by_recipient


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/liftoff_cluster")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--ports", nargs=2, type=int, default=[8151, 8152])
    parser.add_argument("--staff", type=int, default=80)
    parser.add_argument("--capacity", type=int, default=20)
    parser.add_argument("--beat-seconds", type=int, default=65, help="how long to watch one beat, then two (0: skip)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="liftoff-cluster-"))
    mail = work / "mail"
    mail.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LOCMEM_CACHE", "INSTANCE_NAME")}
    env.update(DEBUG="0", SECRET_KEY="cluster-check-secret-" + "c" * 40, ALLOWED_HOSTS=HOST, BEHIND_TLS_PROXY="1",
               DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, EMAIL_URL=f"filemail:///{mail}",
               STATIC_ROOT=str(work / "static"), MEDIA_ROOT=str(work / "media"), WEB_CONCURRENCY="2",
               AXES_ENABLED="0", LOG_FORMAT="json", SITE_URL=f"https://{HOST}")
    db = urllib.parse.urlparse(args.database_url)
    name = db.path.lstrip("/")
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    print(f"Fresh database {name}; work folder {work}", flush=True)
    run([str(BIN / "python"), "-c", "import psycopg,sys; c=psycopg.connect(sys.argv[1], autocommit=True); "
         "c.execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)'); c.execute(f'CREATE DATABASE \"{sys.argv[2]}\"')",
         admin_url, name], env)
    manage = [str(BIN / "python"), "manage.py"]
    started = time.monotonic()
    run(manage + ["migrate", "--noinput", "-v0"], env)
    run(manage + ["setup_schedules"], env, stdout=subprocess.DEVNULL)
    run(manage + ["collectstatic", "--noinput", "-v0"], env)
    setup = run(manage + ["shell", "-c", SETUP.format(n=args.staff, capacity=args.capacity, password=PASSWORD)], env,
                capture_output=True, text=True)
    data = json.loads(next(line for line in setup.stdout.splitlines() if line.startswith("SETUP "))[6:])
    # Drop the instance's queue of anything a previous run left (only this instance's key).
    import redis

    broker = redis.Redis.from_url(args.redis_url)
    broker.delete(name)
    print(f"Prepared in {time.monotonic() - started:.0f} s: {args.staff} staff, one session of {args.capacity} seats",
          flush=True)

    processes = {}

    def start(label, cmd, extra=None):
        log = open(work / f"{label}.log", "w")
        processes[label] = (subprocess.Popen(cmd, cwd=ROOT, env={**env, **(extra or {})}, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True), log)

    failures = []
    try:
        for i, port in enumerate(args.ports, 1):
            start(f"web{i}", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
                  {"PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(work / f"metrics-{i}")})
        for i in (1, 2):
            start(f"worker{i}", [str(BIN / "celery"), "-A", "config", "worker", "-n", f"cluster{i}@%h", "-l", "INFO",
                                 "--concurrency=2", "--without-gossip", "--without-mingle"])
        start("beat1", [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO",
                        "--schedule", str(work / "beat1-schedule")])
        for port in args.ports:
            for _ in range(300):
                try:
                    if Node().request(port, "/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            else:
                raise SystemExit(f"node on {port} did not start; see {work}")
        print(f"Nodes up on ports {args.ports}; 2 workers, 1 beat", flush=True)

        # 1. Sessions on either node, and no overbooking.
        results, barrier = [], threading.Barrier(args.staff)
        threads = []
        for i, username in enumerate(data["users"]):
            login_port, api_port = (args.ports if i % 2 == 0 else args.ports[::-1])
            threads.append(threading.Thread(target=sign_in_here_sign_up_there, args=(
                username, login_port, api_port, data["session"], results, barrier)))
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        took = time.monotonic() - t0
        outcome = Counter(r[0] for r in results)
        errors = [r for r in results if r[0] not in ("enrolled", "waitlisted") or r[1] != 200 or len(r) < 3]
        back_on_first = sum(1 for r in results if len(r) == 3 and r[2] == 200)
        print(f"Sign-ups: {len(results)} people, signed in on one node, signed up on the other in {took:.1f} s: "
              f"{outcome['enrolled']} enrolled, {outcome['waitlisted']} waitlisted, {len(errors)} errors; "
              f"session valid back on the first node for {back_on_first}", flush=True)
        if errors or outcome["enrolled"] != args.capacity or outcome["waitlisted"] != args.staff - args.capacity \
                or back_on_first != args.staff:
            failures.append(f"sign-ups: {outcome}, errors {errors[:3]}")

        # 2. Reminders: four sweeps at once (as if beat had fired on both nodes twice), two workers delivering.
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()
        from celery import current_app
        from django.db.models import Count

        from notifications.models import Notification
        from training.models import Enrolment

        for _ in range(4):
            current_app.send_task("notifications.tasks.sweep", retry=False)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pending = Notification.objects.filter(email_status="pending").count()
            reminders = Notification.objects.filter(kind="training_session_soon").count()
            if reminders and not pending:
                break
            time.sleep(1)
        time.sleep(2)  # let a (wrong) duplicate delivery surface, if there were one
        sent = {row["recipient__email"]: row["n"] for row in Notification.objects.filter(email_status="sent")
                .values("recipient__email").annotate(n=Count("id"))}
        mailed = count_mail(mail)
        reminders = Notification.objects.filter(kind="training_session_soon").count()
        seat_holders = Enrolment.objects.filter(session_id=data["session"], status="enrolled").count()
        duplicates = {who: n for who, n in mailed.items() if n > sent.get(who, 0)}
        missing = {who: n for who, n in sent.items() if mailed.get(who, 0) < n}
        delivered_by = {label: len(re.findall(r"Task notifications\.tasks\.\w+\[[^]]+\] succeeded",
                                              (work / f"{label}.log").read_text())) for label in ("worker1", "worker2")}
        print(f"Reminders: {reminders} reminder notifications (seat holders {seat_holders} + trainer) from 4 "
              f"concurrent sweeps; {sum(sent.values())} e-mails marked sent, {sum(mailed.values())} written; "
              f"duplicates {len(duplicates)}, missing {len(missing)}; tasks done per worker {delivered_by}",
              flush=True)
        if reminders != seat_holders + 1 or duplicates or missing or not sent:
            failures.append(f"reminders: {reminders}, duplicates {duplicates}, missing {missing}")
        rid_in_worker = sum(1 for label in ("worker1", "worker2") for line in (work / f"{label}.log").read_text()
                            .splitlines() if '"request_id": "' in line and '"request_id": "-"' not in line)
        print(f"Worker log lines carrying a request or task id: {rid_in_worker}", flush=True)

        # 3. One beat, then two: how often each beat sent the every-minute escalation, minute by minute.
        if args.beat_seconds:
            from django.utils import timezone

            def sends_per_minute(since, until):
                per_minute = Counter()
                for label in ("beat1", "beat2"):
                    path = work / f"{label}.log"
                    if not path.exists():
                        continue
                    for line in path.read_text().splitlines():
                        if "Sending due task" in line and "notifications.tasks.escalate" in line:
                            at = datetime.strptime(json.loads(line)["time"], "%Y-%m-%d %H:%M:%S,%f")  # local time
                            if since < at < until:
                                per_minute[at.strftime("%H:%M")] += 1
                return per_minute

            def local_now():
                return timezone.localtime().replace(tzinfo=None)

            phase1_from = local_now()
            time.sleep(args.beat_seconds)  # holds at least one minute boundary
            phase1_until = local_now()
            start("beat2", [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO",
                            "--schedule", str(work / "beat2-schedule")])
            # The second beat's start-up (it may send at once what it thinks is due) is left out.
            phase2_from = local_now() + timedelta(seconds=20)
            time.sleep(args.beat_seconds + 20)
            phase2_until = local_now() - timedelta(seconds=3)  # both beats have logged a boundary before this
            one = sends_per_minute(phase1_from, phase1_until)
            two = sends_per_minute(phase2_from, phase2_until)
            print(f"Beat: with one beat the every-minute escalation was sent {sorted(one.values())} time(s) per "
                  f"minute; with a second beat running, {sorted(two.values())} time(s) per minute", flush=True)
            if not one or set(one.values()) != {1} or not two or set(two.values()) != {2}:
                failures.append(f"beat: one {dict(one)}, two {dict(two)}")
            # The doubled jobs did no harm: still every e-mail exactly once.
            again = count_mail(mail)
            sent_now = {row["recipient__email"]: row["n"] for row in Notification.objects.filter(email_status="sent")
                        .values("recipient__email").annotate(n=Count("id"))}
            twice = {who: n for who, n in again.items() if n > sent_now.get(who, 0)}
            print(f"After two beats: {sum(sent_now.values())} e-mails marked sent, {sum(again.values())} written, "
                  f"duplicates {len(twice)}", flush=True)
            if twice:
                failures.append(f"two beats sent twice: {twice}")
    finally:
        for process, log in processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
        broker.close()
    if failures:
        print("FAILED: " + "; ".join(failures))
        print(f"Logs in {work}")
        return 1
    print(f"Cluster check passed. Logs in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
