"""`make run`: serve Liftoff through gunicorn with the Celery worker and beat (honcho + Procfile).

Before serving it collects the static files, so the same command works with DEBUG on or off
(with DEBUG off whitenoise serves the hashed, compressed copies from the manifest). Without Redis
the web app still serves; reminders wait in the outbox (the database) until Redis is up and the
worker runs.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
# `make run` serves plain HTTP on this machine: the local names, no HTTPS redirect, even with DEBUG
# off (a real deployment sets these behind its TLS proxy, see deploy/).
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# No mail server on a trial machine: e-mails are logged (one line per batch), not sent.
os.environ.setdefault("EMAIL_URL", "log://")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from projects.demo import DEMO_LOGINS, DEMO_PASSWORD  # noqa: E402
from projects.health import broker_ok  # noqa: E402

port = os.environ.get("PORT", "8000")
os.chdir(ROOT)
call_command("collectstatic", interactive=False, verbosity=0)
ok, reason = broker_ok()
print("\n" + "=" * 76)
print(f"  Liftoff is starting at  http://127.0.0.1:{port}/   (gunicorn, DEBUG {'on' if settings.DEBUG else 'off'})")
print(f"  Demo logins (password: {DEMO_PASSWORD}):")
for username, what in DEMO_LOGINS:
    print(f"    {username:<10} {what}")
print("  These demo accounts are for trying Liftoff out. A real installation starts without")
print("  them: migrate, createsuperuser, no seed_demo (README \"Deploying\", docs/operations.md).")
print(f"  API docs: http://127.0.0.1:{port}/api/docs/   Admin: http://127.0.0.1:{port}/admin/")
print(f"  Instance: {settings.INSTANCE_NAME} (Celery queue and cache prefix)")
if ok:
    print("  Redis is up: web, Celery worker and beat run together (Ctrl-C stops all).")
else:
    print("  WARNING: Redis is not reachable (" + reason + ").")
    print("  The web app serves normally; background work (reminders, e-mail) waits in the")
    print("  outbox until Redis is up. Start Redis and run `make run` again to start the worker.")
print("=" * 76 + "\n", flush=True)

venv_bin = ROOT / ".venv" / "bin"
env = dict(os.environ, PORT=port)
if ok:
    cmd = [str(venv_bin / "honcho"), "-f", str(ROOT / "Procfile"), "start"]
else:
    cmd = [str(venv_bin / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "config.wsgi"]
try:
    sys.exit(subprocess.call(cmd, env=env))
except KeyboardInterrupt:
    sys.exit(0)
