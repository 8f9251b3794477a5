"""Two instances on one Redis never consume each other's tasks: each has its own Celery queue (and
cache key prefix), derived from its database. Runs a real worker of instance B against the real broker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

PUBLISH = """
from django.conf import settings
from config.celery import app
app.send_task("notifications.tasks.sweep", retry=False)
print("QUEUES", settings.CELERY_TASK_DEFAULT_QUEUE, settings.CACHES["default"].get("KEY_PREFIX"), *sorted(app.amqp.queues))
"""


def _broker():
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip("needs Redis at CELERY_BROKER_URL")
    return client


def _env(db_path):
    env = {k: v for k, v in os.environ.items() if k not in ("INSTANCE_NAME", "CELERY_QUEUE", "LOCMEM_CACHE")}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{db_path}", CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
               REDIS_URL=settings.CELERY_BROKER_URL)
    return env


def test_a_worker_of_one_instance_never_takes_the_tasks_of_another(tmp_path):
    broker = _broker()
    tag = uuid.uuid4().hex[:6]
    env_a, env_b = _env(tmp_path / f"a{tag}" / "db.sqlite3"), _env(tmp_path / f"b{tag}" / "db.sqlite3")
    worker_log = open(tmp_path / "worker-b.log", "w+")
    worker_b = subprocess.Popen([str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "--pool=solo",
                                 "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
                                cwd=ROOT, env=env_b, stdout=worker_log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        for _ in range(300):
            if "ready." in (tmp_path / "worker-b.log").read_text():
                break
            time.sleep(0.1)
        else:
            pytest.fail("worker B did not start: " + (tmp_path / "worker-b.log").read_text()[-2000:])
        published = subprocess.run([sys.executable, "manage.py", "shell", "-c", PUBLISH], cwd=ROOT, env=env_a,
                                   capture_output=True, text=True, timeout=60, check=True)
        line = next(x for x in published.stdout.splitlines() if x.startswith("QUEUES "))
        _label, queue_a, prefix_a, *queues_a = line.split()
        assert queue_a.startswith(f"a{tag}-") and prefix_a == queue_a and queues_a == [queue_a]
        deadline = time.monotonic() + 3  # worker B has every chance to take it
        while time.monotonic() < deadline:
            assert broker.llen(queue_a) == 1, "instance A's task left its queue"
            time.sleep(0.2)
        log_b = (tmp_path / "worker-b.log").read_text()
        assert "Received task" not in log_b
        assert f"b{tag}-" in log_b  # the worker listened on its own queue, named after its database
    finally:
        os.killpg(worker_b.pid, 15)
        worker_b.wait(timeout=30)
        worker_log.close()
        for key in broker.scan_iter(f"*{tag}-*"):  # the queues and kombu's bindings of both test instances
            broker.delete(key)
