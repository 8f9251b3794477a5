#!/usr/bin/env bash
# Upgrade a Liftoff installation in place (docs/operations.md, "Upgrading").
#
#   cd /srv/liftoff && git fetch && git checkout <release> && deploy/upgrade.sh
#
# Run it as the service user, with the production environment (/etc/liftoff/liftoff.env) exported
# or in .env. It backs up first, stops beat and the worker (the worker finishes its current task),
# installs the release's requirements, migrates, installs the schedules, collects static files and
# restarts everything. SKIP_BACKUP=1, SKIP_PIP=1 or SKIP_SYSTEMD=1 leave out a step (tests, CI).
# tests/test_migrations.py runs the same manage.py steps, in this order, on the previous release's schema.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BACKUP_DIR=${BACKUP_DIR:-/var/backups/liftoff}
export DEBUG=${DEBUG:-0}
systemd() { [ "${SKIP_SYSTEMD:-0}" = 1 ] || sudo systemctl "$@"; }

echo "== 1/7 backup (database and media) into $BACKUP_DIR"
[ "${SKIP_BACKUP:-0}" = 1 ] || "$PY" manage.py backup "$BACKUP_DIR"

echo "== 2/7 stop beat, then the worker (it finishes the task it is running)"
systemd stop liftoff-beat liftoff-worker

echo "== 3/7 requirements"
[ "${SKIP_PIP:-0}" = 1 ] || "$PY" -m pip install --quiet -r requirements.txt

echo "== 4/7 migrate"
"$PY" manage.py migrate --noinput

echo "== 5/7 schedules"
"$PY" manage.py setup_schedules

echo "== 6/7 static files"
"$PY" manage.py collectstatic --noinput -v0

echo "== 7/7 restart (gunicorn reloads its workers one by one; then worker and beat start)"
systemd reload-or-restart liftoff-web
systemd start liftoff-worker liftoff-beat
"$PY" manage.py check --deploy --fail-level WARNING
echo "Upgrade done."
