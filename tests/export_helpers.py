"""Reading exports back in tests: fetch a kind as .xlsx or .csv through the API and get its rows."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.utils import api_as

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_url(project, kind, fmt="csv", api=True):
    return reverse(f"api-export-{fmt}" if api else f"projects:export_{fmt}", args=[project.pk, kind])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows_of(raw: bytes, fmt):
    """The cells of the file as lists (header first); None for an empty .xlsx cell."""
    if fmt == "csv":
        text = raw.decode("utf-8")
        assert text.startswith("\ufeff"), "the CSV starts with a BOM (Excel reads UTF-8 Chinese)"
        return list(csv.reader(io.StringIO(text[1:])))
    rows = [list(r) for r in load_workbook(io.BytesIO(raw), read_only=True).active.iter_rows(values_only=True)]
    width = len(rows[0]) if rows else 0
    return [r + [None] * (width - len(r)) for r in rows]  # empty cells at a row's end are not stored


def export(user, project, kind, fmt="csv", params=None, language=None):
    """(the file's bytes, its rows) of GET /api/v1/projects/{id}/exports/{kind}.{fmt} as `user`."""
    headers = {"Accept-Language": language} if language else {}
    response = api_as(user).get(export_url(project, kind, fmt), params or {}, headers=headers)
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    assert response["Content-Type"].startswith(XLSX if fmt == "xlsx" else "text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = body(response)
    return raw, rows_of(raw, fmt)


def column(rows, name):
    index = rows[0].index(name)
    return [r[index] for r in rows[1:]]


def export_queries(user, project, kind, fmt="csv", params=None):
    """Queries made to answer the export, the file read to its end (a CSV streams its rows)."""
    client = api_as(user)
    client.get(export_url(project, kind, fmt), params or {})  # warm up (sessions, content types, caches)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(export_url(project, kind, fmt), params or {})
        body(response)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def reimport(user, project, kind, raw, fmt):
    """Import an exported file (its bytes as they came from the export) into `project`; the import's JSON."""
    client = api_as(user)
    upload = SimpleUploadedFile(f"export.{fmt}", raw, content_type="application/octet-stream")
    answer = client.post(reverse("api-import", args=[project.pk, kind]), {"file": upload},
                         format="multipart")
    assert answer.status_code == 200, answer.json()
    return answer.json()
