import pytest

from projects import demo as project_demo
from tasks import demo
from tasks.models import Run, Runbook, Step

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    """How long the seed takes is measured by `make bench`, not asserted here."""
    project, people = project_demo.seed()
    demo.seed(project=project, people=people)
    steps = Step.objects.filter(runbook__project=project).count()
    demo.seed(project=project, people=people)
    assert Runbook.objects.filter(project=project).count() == 2
    assert Step.objects.filter(runbook__project=project).count() == steps
    runs = {r.label: r for r in Run.objects.filter(project=project)}
    assert len(runs) == Run.objects.filter(project=project).count()
    assert runs["Rehearsal #1"].finished_at > runs["Rehearsal #1"].window_end
    assert runs["Rehearsal #2"].finished_at <= runs["Rehearsal #2"].window_end
    assert runs["Production #1"].status == "planned"
