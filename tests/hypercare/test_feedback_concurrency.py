"""Two managers triaging the same feedback at once: one wins, one defect; runs only on PostgreSQL."""


import pytest

from defects.models import Defect
from hypercare import services as fs
from hypercare.models import Feedback
from projects.errors import DomainError
from tests.projects.factories import member
from tests.utils import requires_postgres, run_concurrently

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_triage_files_one_defect(project):
    managers = [member(project, "manager") for _ in range(4)]
    f = fs.feedback_submit(actor=member(project, "staff"), project=project, category="bug", text="Printer")
    out = run_concurrently(4, lambda i: fs.feedback_triage(actor=managers[i], feedback=f, outcome="defect"))
    assert sum(1 for o in out if isinstance(o, Feedback)) == 1
    assert sum(1 for o in out if isinstance(o, DomainError)) == 3
    assert Defect.objects.filter(project=project).count() == 1


def test_concurrent_daily_sends_tell_each_member_once(project):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import Notification

    project.go_live_at = timezone.now() - timedelta(days=2)
    project.window_start, project.window_end = project.go_live_at - timedelta(hours=8), project.go_live_at
    project.save()
    for _ in range(3):
        fs.report_subscribe(actor=member(project, "staff"), project=project)
    out = run_concurrently(3, lambda i: fs.send_daily_reports())
    assert sum(o for o in out if isinstance(o, int)) == 3
    assert Notification.objects.filter(kind="hypercare_report").count() == 3
