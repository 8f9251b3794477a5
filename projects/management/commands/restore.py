"""`manage.py restore BACKUP --yes`: put a backup made by `manage.py backup` back.

Stop the web, worker and beat first (docs/operations.md). The database is replaced: PostgreSQL with
`pg_restore --clean --if-exists` (every table of the backup dropped and recreated), SQLite through the
backup API; MEDIA_ROOT is emptied and refilled from `media.tar.gz`. Then run `manage.py migrate`
(a backup of an older release is brought up to date like any upgrade).
"""

import json
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .backup import pg_env, pg_tool


class Command(BaseCommand):
    help = "Restore the database and the uploaded files from a folder written by `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The backup folder (liftoff-<instance>-<time>).")
        parser.add_argument("--yes", action="store_true", help="Really replace this instance's data.")

    def handle(self, *args, backup, yes, **options):
        source = Path(backup)
        manifest_file = source / "manifest.json"
        if not manifest_file.exists():
            raise CommandError(f"{source} is not a Liftoff backup (no manifest.json).")
        manifest = json.loads(manifest_file.read_text())
        engine = connection.vendor
        if manifest.get("engine") != engine:
            raise CommandError(f"The backup is of a {manifest.get('engine')} database; this instance uses {engine}.")
        if not yes:
            raise CommandError("This replaces every row and every uploaded file of this instance with the backup's. "
                               "Stop the web, worker and beat, then run again with --yes.")
        db = connection.settings_dict
        if engine == "postgresql":
            connection.close()
            result = subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",  # noqa: S603 - fixed argv, no shell
                                     "--single-transaction", "--dbname", db["NAME"], str(source / "database.dump")],
                                    env=pg_env(db), capture_output=True, text=True)
            if result.returncode:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()[:500]}")
        else:
            connection.ensure_connection()
            backup_db = sqlite3.connect(source / "database.sqlite3")
            try:
                backup_db.backup(connection.connection)
            finally:
                backup_db.close()
            connection.close()
        media_root = Path(settings.MEDIA_ROOT)
        if media_root.exists():
            for child in media_root.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / "media.tar.gz", "r:gz") as archive:
            archive.extractall(media_root, filter="data")  # no absolute paths, no "..", no devices
        self.stdout.write(self.style.SUCCESS(
            f"Restored {source.name} ({manifest.get('created_at')}). Run `manage.py migrate` if it is of an older "
            "release, then start the web, worker and beat."))
