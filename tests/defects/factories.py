"""Test data for the defects app, built through its services."""

from datetime import date, timedelta

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from defects import services
from defects.models import Defect, Status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

REPORT = {
    "title": "Interest rounded to 3 decimals",
    "severity": "major",
    "category": "functional",
    "environment": "SIT build 2.3",
    "steps": "1. Open deposit\n2. Post interest",
    "expected_result": "2 decimals",
    "actual_result": "3 decimals",
}


def file_defect(project, reporter, **overrides):
    data = {**REPORT, **overrides}
    return services.defect_file(actor=reporter, project=project, **data)


def defect_in(project, status, *, reporter, assignee=None, **overrides):
    """A defect put straight into `status` (for workflow tests that start mid-way)."""
    defect = file_defect(project, reporter, **overrides)
    fields = {"status": status}
    if assignee is not None:
        fields["assignee"] = assignee
    if status == Status.REJECTED:
        fields["reject_reason"] = "not_a_defect"
    Defect.objects.filter(pk=defect.pk).update(**fields)
    defect.refresh_from_db()
    return defect


def managers_triage(project):
    """Set the project to "only managers triage" (the default lets testers triage too)."""
    from defects.models import DefectSettings, TriageBy

    DefectSettings.objects.update_or_create(project=project, defaults={"triage_by": TriageBy.MANAGERS})
    project.__dict__.pop("_defect_triage_by", None)
    return project


def upload(name, content):
    return SimpleUploadedFile(name, content)


def requirement(project, author, *, status="approved", n=1):
    model = apps.get_model("requirements", "Requirement")
    return model.objects.create(project=project, number=n, code=f"REQ-{n:03d}", title=f"Requirement {n}",
                                status=status, author=author)


def cycle(project, actor, name="SIT 1", **kw):
    start = kw.pop("planned_start", date.today())
    return services.cycle_create(actor=actor, project=project, name=name, planned_start=start,
                                 planned_end=kw.pop("planned_end", start + timedelta(days=7)), **kw)


def case(project, actor, title="Open account", **kw):
    return services.case_create(actor=actor, project=project, title=title, steps="1. do", expected_result="ok", **kw)


FILES = __import__("pathlib").Path(__file__).parent / "files"


def report_file(name, content=None):
    """An upload of a fixture file of tests/defects/files (or of `content` under that name)."""
    return SimpleUploadedFile(name, content if content is not None else (FILES / name).read_bytes())


def finding(project, actor, **kw):
    data = {"title": "SQL injection in customer search", "severity": "high",
            "description": "The name parameter reaches the SQL unescaped.", **kw}
    return services.finding_create(actor=actor, project=project, **data)
