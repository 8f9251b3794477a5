"""The embedded default under load, end to end: gunicorn (deploy/gunicorn.conf.py, 3 workers, DEBUG off)
on a SQLite *file*, with Redis down.

- 50 staff sign up for a 10-seat session at the same moment through the API: 0 errors, 10 enrolled,
  40 waitlisted in order (WAL + BEGIN IMMEDIATE + busy timeout serialise the writers);
- static files are served from the collected, hashed manifest with DEBUG off;
- the token endpoint (throttled through the cache) answers with Redis down;
- /metrics sums the figures of every gunicorn worker (prometheus multiprocess mode).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from projects.services import api_token_issue
from projects.models import Project
from tests.projects.factories import member
from training import services
project = Project.objects.create(name="Load", code="load", go_live_at=timezone.now() + timedelta(days=30),
                                 window_start=timezone.now() + timedelta(days=29),
                                 window_end=timezone.now() + timedelta(days=30))
trainer = member(project, "trainer")
course = services.course_create(actor=trainer, project=project, title="Teller basics", required_roles=["staff"],
                                required_departments=[])
start = timezone.now() + timedelta(days=3)
session = services.session_create(actor=trainer, course=course, starts_at=start, ends_at=start + timedelta(hours=2),
                                  capacity=10, mode="offline", location="Room 1", trainer=None, signup_deadline=None)
tokens = [api_token_issue(user=member(project, "staff"))[1] for _ in range(50)]
user = member(project, "staff")
user.set_password("a-long-password-2026"); user.username = "loadtester"; user.save()
print(json.dumps({"session": session.pk, "tokens": tokens}))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, *, method="GET", headers=None, data=None, timeout=30):
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed in .venv")
    tmp = tmp_path_factory.mktemp("prod")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "LOCMEM_CACHE")}
    env.update(DEBUG="0", SECRET_KEY="a-long-random-test-secret-" + "s" * 40, ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="0", DATABASE_URL=f"sqlite:///{tmp / 'liftoff.sqlite3'}",
               REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",  # nothing listens: Redis is down
               STATIC_ROOT=str(tmp / "static"), MEDIA_ROOT=str(tmp / "media"), METRICS_TOKEN="scrape-2026",
               PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"), WEB_CONCURRENCY="3", PORT=str(port),
               AXES_ENABLED="0", EMAIL_URL="log://", INSTANCE_NAME="loadtest")
    manage = [sys.executable, "manage.py"]
    for step in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(manage + step, cwd=ROOT, env=env, check=True, timeout=300)
    setup = subprocess.run(manage + ["shell", "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=120,
                           capture_output=True, text=True)
    data = json.loads(setup.stdout.strip().splitlines()[-1])
    log = open(tmp / "gunicorn.log", "w+")
    process = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if _request(base + "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            log.seek(0)
            pytest.fail("gunicorn did not start: " + log.read()[-3000:])
        yield {"base": base, "env": env, "log": tmp / "gunicorn.log", "db": tmp / "liftoff.sqlite3", **data}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_fifty_concurrent_sign_ups_on_sqlite_give_no_error_and_no_overbooking(server):
    url = f"{server['base']}/api/v1/training/sessions/{server['session']}/enroll/"
    barrier = threading.Barrier(len(server["tokens"]))
    results = []

    def sign_up(token):
        barrier.wait(timeout=30)
        status, _headers, body = _request(url, method="POST", headers={"Authorization": f"Token {token}"}, data={})
        results.append((status, json.loads(body or b"{}").get("status")))

    threads = [threading.Thread(target=sign_up, args=(t,)) for t in server["tokens"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    statuses = sorted(status for status, _ in results)
    assert len(results) == 50 and all(200 <= s < 300 for s in statuses), statuses
    outcome = [state for _, state in results]
    assert outcome.count("enrolled") == 10 and outcome.count("waitlisted") == 40
    import sqlite3

    db = sqlite3.connect(server["db"])
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = db.execute("SELECT status, COUNT(*) FROM training_enrolment GROUP BY status").fetchall()
        positions = [p for (p,) in db.execute("SELECT waitlist_position FROM training_enrolment "
                                               "WHERE status='waitlisted' ORDER BY waitlist_position")]
    finally:
        db.close()
    assert dict(rows) == {"enrolled": 10, "waitlisted": 40}
    assert positions == list(range(1, 41))
    assert "database is locked" not in server["log"].read_text()


def test_static_files_work_with_debug_off(server):
    status, _headers, body = _request(server["base"] + "/accounts/login/")
    assert status == 200
    html = body.decode()
    start = html.index("/static/css/liftoff.")
    css = html[start:html.index('"', start)]
    assert css != "/static/css/liftoff.css"  # the hashed name from the manifest
    status, headers, _body = _request(server["base"] + css)
    assert status == 200 and headers["Content-Type"].startswith("text/css")


def test_the_throttled_token_endpoint_answers_with_redis_down(server):
    started = time.monotonic()
    status, headers, body = _request(server["base"] + "/api/v1/auth/token/", method="POST",
                                     data={"username": "loadtester", "password": "a-long-password-2026"})
    assert status == 200 and json.loads(body)["token"]
    assert headers["Content-Type"] == "application/json"
    assert time.monotonic() - started < 3


def test_metrics_sum_every_gunicorn_worker_and_stay_private(server):
    assert _request(server["base"] + "/metrics")[0] == 404
    for _ in range(30):
        _request(server["base"] + "/healthz")
    status, _headers, body = _request(server["base"] + "/metrics", headers={"Authorization": "Bearer scrape-2026"})
    assert status == 200
    text = body.decode()
    total = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith("django_http_requests_total_by_method_total{") and 'method="GET"' in line)
    assert total >= 30
    pids = {p.name.split("_")[-1] for p in Path(server["env"]["PROMETHEUS_MULTIPROC_DIR"]).glob("counter_*.db")}
    assert len(pids) >= 2, "requests were answered by several workers, and every one of them counts"


def test_access_log_is_one_json_line_per_request_with_the_request_id(server):
    _request(server["base"] + "/healthz", headers={"X-Request-ID": "lb-check-1"})
    access = []
    for _ in range(50):  # the access line is written just after the response
        lines = [json.loads(line) for line in server["log"].read_text().splitlines()
                 if line.startswith("{") and "lb-check-1" in line]
        access = [line for line in lines if line["logger"] == "gunicorn.access"]
        if access:
            break
        time.sleep(0.1)
    assert len(access) == 1
    assert access[0]["request_id"] == "lb-check-1" and access[0]["status"] == "200"
