"""`manage.py backup DIR`: the database and the uploaded files of a running instance.

Writes `DIR/liftoff-<instance>-<UTC time>/` with
- `database.dump`   PostgreSQL: `pg_dump --format=custom` (a consistent snapshot; the app keeps serving)
  or `database.sqlite3`: SQLite's online backup API (consistent while others write),
- `media.tar.gz`    everything under MEDIA_ROOT (attachments, screenshots, training materials),
- `manifest.json`   instance, engine, the applied migrations, when.
`manage.py restore` reads it back. See docs/operations.md ("Backup and restore").
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone


def pg_env(db):
    """pg_dump/pg_restore's connection, from the Django settings (the password through the environment)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


def pg_tool(name):
    path = shutil.which(name)
    if path is None:
        raise CommandError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


class Command(BaseCommand):
    help = "Back up the database and the uploaded files (media) into a new folder under DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Where to create the backup folder.")

    def handle(self, *args, directory, **options):
        db = connection.settings_dict
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        target = Path(directory) / f"liftoff-{settings.INSTANCE_NAME}-{stamp}"
        target.mkdir(parents=True, exist_ok=False)
        engine = connection.vendor
        if engine == "postgresql":
            result = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",  # noqa: S603 - fixed argv, no shell
                                     "--file", str(target / "database.dump")],
                                    env=pg_env(db), capture_output=True, text=True)
            if result.returncode:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()[:500]}")
        elif engine == "sqlite":
            connection.ensure_connection()
            destination = sqlite3.connect(target / "database.sqlite3")
            try:
                connection.connection.backup(destination)
            finally:
                destination.close()
        else:
            raise CommandError(f"Backing up a {engine} database is not supported.")
        media_root = Path(settings.MEDIA_ROOT)
        with tarfile.open(target / "media.tar.gz", "w:gz") as archive:
            if media_root.exists():
                for child in sorted(media_root.iterdir()):
                    archive.add(child, arcname=child.name)
        migrations = sorted(f"{app}.{name}" for app, name in
                            MigrationRecorder(connection).migration_qs.values_list("app", "name"))
        manifest = {"instance": settings.INSTANCE_NAME, "engine": engine, "created_at": timezone.now().isoformat(),
                    "migrations": migrations, "media_files": sum(1 for p in media_root.rglob("*") if p.is_file())
                    if media_root.exists() else 0}
        (target / "manifest.json").write_text(json.dumps(manifest, indent=1))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target}"))
