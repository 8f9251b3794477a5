"""`make run`: serve the web app with the Celery worker and beat (honcho + Procfile).

Without Redis the web app still serves; reminders wait in the outbox (the database) until
Redis is up and the worker runs.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from projects.demo import DEMO_LOGINS, DEMO_PASSWORD  # noqa: E402
from projects.health import broker_ok  # noqa: E402

port = os.environ.get("PORT", "8000")
ok, reason = broker_ok()
print("\n" + "=" * 72)
print(f"  Liftoff is starting at  http://127.0.0.1:{port}/")
print(f"  Demo logins (password: {DEMO_PASSWORD}):")
for username, what in DEMO_LOGINS:
    print(f"    {username:<10} {what}")
print(f"  API docs: http://127.0.0.1:{port}/api/docs/   Admin: http://127.0.0.1:{port}/admin/")
if ok:
    print("  Redis is up: web, Celery worker and beat run together (Ctrl-C stops all).")
else:
    print("  WARNING: Redis is not reachable (" + reason + ").")
    print("  The web app serves normally; background work (reminders, e-mail) waits in the")
    print("  outbox until Redis is up. Start Redis and run `make run` again to start the worker.")
print("=" * 72 + "\n", flush=True)

venv_bin = ROOT / ".venv" / "bin"
if ok:
    cmd = [str(venv_bin / "honcho"), "-f", str(ROOT / "Procfile"), "start"]
else:
    cmd = [str(venv_bin / "python"), "manage.py", "runserver", port, "--noreload"]
os.chdir(ROOT)
try:
    sys.exit(subprocess.call(cmd))
except KeyboardInterrupt:
    sys.exit(0)
