"""`manage.py backup` and `restore`: the database (pg_dump/pg_restore of the running instance on
PostgreSQL, the backup API on SQLite) and the uploaded files come back as they were."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from defects import services
from defects.models import Defect, DefectAttachment
from tests.defects.factories import PNG, file_defect
from tests.projects.factories import ProjectFactory, member
from tests.utils import requires_postgres


def _round_trip(tmp_path):
    project = ProjectFactory()
    tester = member(project, "tester")
    defect = file_defect(project, tester, title="Interest rounding differs")
    attachment = services.attachment_add(actor=tester, defect=defect, upload=SimpleUploadedFile("screen.png", PNG))
    media_file = Path(attachment.file.path)
    call_command("backup", str(tmp_path / "backups"))
    [folder] = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["media_files"] == 1 and any(m.startswith("defects.") for m in manifest["migrations"])

    # Disaster: rows and files gone, and something written after the backup.
    Defect.objects.all().delete()
    media_file.unlink()
    file_defect(project, tester, title="Written after the backup")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(folder))
    assert Defect.objects.get().title == "Written after the backup"  # nothing touched without --yes

    call_command("restore", str(folder), "--yes")
    assert list(Defect.objects.values_list("title", flat=True)) == ["Interest rounding differs"]
    assert DefectAttachment.objects.get().file.name == attachment.file.name
    assert media_file.read_bytes() == PNG


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_on_postgresql(tmp_path):
    _round_trip(tmp_path)


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_on_sqlite(tmp_path, settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    _round_trip(tmp_path)


@pytest.mark.django_db
def test_restore_refuses_what_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="not a Liftoff backup"):
        call_command("restore", str(tmp_path), "--yes")
