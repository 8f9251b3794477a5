"""Production behaviour (issue 15): faults degrade, logs are one line with a request id, /metrics is for
ops, member-only downloads go through nginx when asked, the demo never lands on a production database."""

import io
import json
import logging
import socket
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from config.settings import _instance_name
from projects import requestid
from projects.cache import FaultTolerantRedisCache
from projects.models import Project
from tests.projects.factories import UserFactory

TIMEOUT = 0.25


# ------------------------------------------------------------------------ Redis down or hanging

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_redis():
    """A port where nothing listens."""
    return f"redis://127.0.0.1:{_free_port()}/0"


@pytest.fixture
def hanging_redis():
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def _cache(location):
    return FaultTolerantRedisCache(location, {"OPTIONS": {"socket_connect_timeout": TIMEOUT,
                                                          "socket_timeout": TIMEOUT}})


@pytest.mark.parametrize("redis_fixture", ["dead_redis", "hanging_redis"])
def test_the_cache_behaves_as_a_miss_and_logs_the_outage_once(request, redis_fixture, caplog):
    broken = _cache(request.getfixturevalue(redis_fixture))
    asked = []  # calls that reached Redis; how long they take is scripts/bench_cache_outage.py's to print
    real_call = broken._call

    def counting_call(method, miss, *args, **kwargs):
        def counted(*a, **kw):
            asked.append(method.__name__)
            return method(*a, **kw)
        return real_call(counted, miss, *args, **kwargs)

    broken._call = counting_call
    with caplog.at_level(logging.WARNING, logger="projects.cache"):
        assert broken.get("k", "fallback") == "fallback"
        broken.set("k", 1)
        assert broken.add("k", 1) is False
        assert broken.get_many(["a", "b"]) == {}
        assert broken.get_or_set("k", lambda: 42) == 42
        assert broken.has_key("k") is False
        broken.delete("k")
        with pytest.raises(ValueError):
            broken.incr("k")
    # One call waits for the socket timeout, then the breaker answers without asking Redis.
    assert asked == ["get"], asked
    outage_lines = [r for r in caplog.records if r.name == "projects.cache"]
    assert len(outage_lines) == 1 and outage_lines[0].exc_info is None
    assert broken.is_down


def test_the_cache_recovers_when_redis_answers_again(dead_redis, caplog):
    broken = _cache(dead_redis)
    broken.retry_seconds = 0
    assert broken.get("k") is None and broken.is_down
    broken._call(lambda: "answered", lambda: None)  # Redis is back
    assert not broken.is_down
    assert "reachable again" in caplog.text


@pytest.fixture
def broken_cache(settings, request):
    def use(location):
        settings.CACHES = {"default": {
            "BACKEND": "projects.cache.FaultTolerantRedisCache", "LOCATION": location, "KEY_PREFIX": "t",
            "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}}}
    yield use


@pytest.mark.django_db
@pytest.mark.parametrize("redis_fixture", ["dead_redis", "hanging_redis"])
def test_token_endpoint_is_throttled_normally_and_never_500_with_redis_down(request, redis_fixture, broken_cache,
                                                                           api):
    broken_cache(request.getfixturevalue(redis_fixture))
    user = UserFactory(username="ops-bot")
    user.set_password("a-long-password-2026")
    user.save()
    api.get("/healthz")  # the first request of a process imports the URL conf: not what is timed here
    started = time.monotonic()
    responses = [api.post("/api/v1/auth/token/", {"username": "ops-bot", "password": "a-long-password-2026"},
                          format="json") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200], [r.content[:300] for r in responses]
    assert all(r["Content-Type"] == "application/json" and r.json()["token"] for r in responses)
    assert time.monotonic() - started < 3, "a hanging Redis must cost one short timeout, not 5 s a request"


@pytest.mark.django_db
def test_pages_with_a_cached_scorecard_serve_with_redis_hanging(hanging_redis, broken_cache, client, project, users):
    broken_cache(hanging_redis)
    client.force_login(users["manager"])
    assert client.get(reverse("projects:home", args=[project.pk])).status_code == 200


# ------------------------------------------------------------------------ instances

def test_instance_name_comes_from_the_database():
    assert _instance_name({"ENGINE": "django.db.backends.postgresql", "NAME": "Liftoff_Prod"}) == "liftoff_prod"
    a = _instance_name({"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/a/db.sqlite3"})
    b = _instance_name({"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/b/db.sqlite3"})
    assert a.startswith("a-") and b.startswith("b-") and a != b


def test_cache_keys_and_celery_queue_are_namespaced(settings):
    from config.celery import app

    assert settings.CELERY_TASK_DEFAULT_QUEUE == settings.INSTANCE_NAME
    # What a worker of this instance consumes (other tests may declare queues of their own in this process;
    # tests/projects/test_instances.py runs a real worker).
    assert app.conf.task_default_queue == settings.INSTANCE_NAME and settings.INSTANCE_NAME in app.amqp.queues
    assert "celery" not in app.amqp.queues
    assert app.conf.control_exchange.startswith(settings.INSTANCE_NAME)


# ------------------------------------------------------------------------ request ids and log lines

def test_request_id_is_taken_from_the_proxy_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "nginx-4f2a"})
    assert given["X-Request-ID"] == "nginx-4f2a"
    made = client.get("/healthz", headers={"X-Request-ID": "not an id; DROP"})
    assert made["X-Request-ID"] != "not an id; DROP" and len(made["X-Request-ID"]) == 32
    assert client.get("/healthz")["X-Request-ID"] != made["X-Request-ID"]


@pytest.fixture
def json_log():
    """The production handler: JSON formatter and the filters of settings.LOGGING, on django.request."""
    from django.conf import settings

    config = settings.LOGGING["formatters"]["json"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(config["fmt"], rename_fields=config["rename_fields"],
                                       reserved_attrs=config["reserved_attrs"]))
    handler.addFilter(requestid.RequestIdFilter())
    handler.addFilter(requestid.ExpectedErrorsFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_expected_403_and_404_are_one_json_line_with_the_request_id(client, project, users, outsider, json_log):
    client.force_login(users["staff"])
    forbidden = client.get(reverse("projects:edit", args=[project.pk]), headers={"X-Request-ID": "r403"})
    client.force_login(outsider)
    missing = client.get(reverse("projects:home", args=[project.pk]), headers={"X-Request-ID": "r404"})
    assert (forbidden.status_code, missing.status_code) == (403, 404)
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert {line["request_id"] for line in lines} == {"r403", "r404"}
    assert len(lines) == 2
    assert all("exc_info" not in line and "Traceback" not in json.dumps(line) for line in lines)
    assert {line["level"] for line in lines} == {"WARNING"}


def test_the_request_id_travels_to_celery_tasks():
    headers = {}
    token = requestid.request_id.set("req-77")
    try:
        requestid._add_request_id(headers=headers)
    finally:
        requestid.request_id.reset(token)
    assert headers == {requestid.TASK_HEADER: "req-77"}

    class Request:
        id = "task-1"

    task = type("Task", (), {"request": Request()})()
    setattr(task.request, requestid.TASK_HEADER, "req-77")
    task.request.headers = None
    requestid._task_started(task=task)
    assert requestid.current() == "req-77"
    record = logging.LogRecord("notifications.tasks", logging.INFO, __file__, 1, "sent", (), None)
    requestid.RequestIdFilter().filter(record)
    assert record.request_id == "req-77"
    requestid._task_finished(task=task)
    assert requestid.current() == "-"


def test_a_task_queued_outside_a_request_gets_its_own_id():
    class Request:
        id = "abc"
        headers = {}

    task = type("Task", (), {"request": Request()})()
    requestid._task_started(task=task)
    assert requestid.current() == "task-abc"
    requestid._task_finished(task=task)


def test_development_mail_is_one_line_per_batch(settings, caplog):
    from django.core import mail
    from django.core.mail import EmailMessage

    settings.EMAIL_BACKEND = "projects.mail.QuietConsoleBackend"
    with caplog.at_level(logging.INFO, logger="liftoff.mail"):
        with mail.get_connection() as connection:
            sent = connection.send_messages([EmailMessage(f"Reminder {i}", "body\n" * 50, to=[f"u{i}@bank.example"])
                                             for i in range(5)])
    assert sent == 5
    assert len(caplog.records) == 1 and "5 message(s)" in caplog.records[0].getMessage()
    assert "body" not in caplog.text


# ------------------------------------------------------------------------ /metrics

@pytest.mark.django_db
def test_metrics_are_for_ops_only(client, settings, project, users):
    settings.METRICS_TOKEN = "scrape-secret-2026"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    client.force_login(users["manager"])  # a project manager is not ops of the installation
    assert client.get("/metrics").status_code == 404
    client.logout()
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-2026"})
    assert scraped.status_code == 200
    assert "django_http_requests_total_by_method_total" in scraped.content.decode()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_no_token_configured_means_no_token_access(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


# ------------------------------------------------------------------------ member-only downloads

@pytest.mark.django_db
@pytest.mark.parametrize("x_accel", [False, True])
def test_attachment_downloads_go_through_nginx_when_asked(client, settings, project, users, outsider, x_accel):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from defects import services
    from tests.defects.factories import PNG, file_defect

    settings.SENDFILE_X_ACCEL = x_accel
    defect = file_defect(project, users["tester"])
    attachment = services.attachment_add(actor=users["tester"], defect=defect,
                                         upload=SimpleUploadedFile("screen.png", PNG))
    url = reverse("defects:attachment", args=[project.pk, defect.pk, attachment.pk])
    client.force_login(outsider)
    denied = client.get(url)
    assert denied.status_code == 404 and "X-Accel-Redirect" not in denied
    client.force_login(users["developer"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    assert "screen.png" in response["Content-Disposition"]
    if x_accel:
        assert response["X-Accel-Redirect"] == "/protected-media/" + attachment.file.name
        assert response.content == b""
    else:
        assert "X-Accel-Redirect" not in response
        assert b"".join(response.streaming_content) == PNG
    attachment.file.storage.delete(attachment.file.name)
    assert client.get(url).status_code == 404  # the file is gone: 404 either way, never a dangling redirect


# ------------------------------------------------------------------------ the demo and production

@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-without-debug"):
        call_command("seed_demo")
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_seed_demo_with_the_flag_runs_with_debug_off(settings, project):
    settings.DEBUG = False
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", "--allow-without-debug", stdout=out)
    assert "already has projects" in out.getvalue()



# ------------------------------------------------------------------------ deploy/

def _env_example():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "deploy" / ".env.example").read_text()
    pairs = [line.lstrip("# ").split("=", 1) for line in text.splitlines()
             if "=" in line and not line.startswith("# ") or line.startswith("# DJANGO_")]
    return {key.strip(): value for key, value in pairs}


def test_every_variable_of_the_env_example_is_documented():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    undocumented = [key for key in _env_example() if f"`{key}`" not in docs
                    and not (key.startswith("DJANGO_SUPERUSER_") and "`DJANGO_SUPERUSER_USERNAME`" in docs)]
    assert undocumented == []


def test_deploy_check_is_clean_with_the_env_example(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "LOCMEM_CACHE")}
    env.update(_env_example())
    env.update(SECRET_KEY="a-long-random-production-secret-" + "p" * 40, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
               MEDIA_ROOT=str(tmp_path / "media"), STATIC_ROOT=str(tmp_path / "static"))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_gunicorn_config_reads_its_settings_from_the_environment(monkeypatch, tmp_path):
    import runpy
    from pathlib import Path

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "8159")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"stale")
    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"))
    assert (config["workers"], config["bind"], config["preload_app"]) == (3, "127.0.0.1:8159", True)
    assert "{x-request-id}o" in config["access_log_format"]
    assert config["control_socket_disable"] is True  # two nodes on one machine never share a control socket
    assert not list((tmp_path / "metrics").iterdir())  # the figures of a previous run are gone
