"""gunicorn settings for Liftoff (`make run` and the systemd unit use this file).

    gunicorn -c deploy/gunicorn.conf.py config.wsgi

Everything can be changed from the environment: WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_BIND (or HOST + PORT), GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS (the proxy in front),
PROMETHEUS_MULTIPROC_DIR (where the workers' metrics are summed), LOG_FORMAT (json|plain).
"""

import multiprocessing
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

bind = os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Sync workers: the app is database-bound, and a sync worker is the simplest to reason about with
# row locks. Two per core plus one, at most 8, unless WEB_CONCURRENCY says otherwise.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(8, multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Load the app once in the master, then fork: faster start, less memory, import errors fail at once.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory a long-lived process gathers), not all at the same moment.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Trust X-Forwarded-* only from the proxy in front (nginx on the same host by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "liftoff-web"
# gunicorn's control socket (gunicornc) defaults to one path per user: two nodes on one machine would
# share it. Off unless GUNICORN_CONTROL_SOCKET names a path of this node's own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# One access line per request, with the request id the app sent back (X-Request-ID).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'

if os.environ.get("LOG_FORMAT", "plain" if os.environ.get("DEBUG", "0").lower() in ("1", "true", "yes", "on")
                  else "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"access": {"()": "projects.requestid.GunicornAccessFilter"}},
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}},
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout",
                       "filters": ["access"]},
        },
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }

# Prometheus in multiprocess mode: each worker writes its figures to files in this folder and
# /metrics sums them. The folder is per bind address (two nodes on one machine never mix) and is
# emptied here, when the master reads this file: before the app is preloaded, which already counts.
_metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(ROOT / ".run" / ("metrics-" + bind.replace(":", "-").replace("/", "_")))))
_metrics_dir.mkdir(parents=True, exist_ok=True)
for _stale in _metrics_dir.glob("*.db"):
    _stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
