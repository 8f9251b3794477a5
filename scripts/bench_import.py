"""Benchmark: a launch of real size imported from Excel (500 people, 300 requirements, 400 test
cases, 100 work items, 20 milestones), then the same files again (which must change nothing).
Runs against a throw-away SQLite database (or DATABASE_URL). Prints seconds per file; a
measurement, not a test.

    DEBUG=1 .venv/bin/python scripts/bench_import.py
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOCMEM_CACHE", "1")
os.environ["AXES_ENABLED"] = "0"
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from projects import imports  # noqa: E402
from projects.import_samples import SIZES, rows, workbook  # noqa: E402
from projects.services import department_create, project_create  # noqa: E402

call_command("migrate", verbosity=0)
pm = get_user_model().objects.create_user("bench-pm", is_staff=True)
now = timezone.now()
project = project_create(actor=pm, name="Import bench", code=f"bench-{int(time.time())}",
                         go_live_at=now + timedelta(days=60), window_start=now + timedelta(days=60),
                         window_end=now + timedelta(days=60, hours=8))
department_create(actor=pm, project=project, name="Retail")
print(f"{'kind':<14}{'rows':>6}{'first s':>10}{'again s':>10}  second run")
for kind in ["people", "requirements", "test-cases", "work-items", "milestones"]:
    extra = {"owner": pm.username} if kind == "work-items" else {}
    if kind == "test-cases":
        extra = {"requirement_codes": list(project.requirements.values_list("code", flat=True))}
    data = workbook(rows(kind, SIZES[kind], **extra))
    figures = []
    for _ in range(2):
        t0 = time.perf_counter()
        result = imports.run_import(actor=pm, project=project, kind=imports.get_kind(kind),
                                    upload=SimpleUploadedFile(f"{kind}.xlsx", data))
        figures.append((time.perf_counter() - t0, result))
        assert result.ok, result.errors[:3]
    again = figures[1][1]
    print(f"{kind:<14}{SIZES[kind]:>6}{figures[0][0]:>10.2f}{figures[1][0]:>10.2f}  "
          f"created {again.created}, updated {again.updated}, unchanged {again.unchanged}")
