import pytest

from projects import demo as project_demo
from tasks import demo
from tasks.models import CutoverIssue, Drill, Run, Runbook, Step, TimelineEvent

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    """How long the seed takes is measured by `make bench`, not asserted here."""
    project, people = project_demo.seed()
    demo.seed(project=project, people=people)
    steps = Step.objects.filter(runbook__project=project).count()
    demo.seed(project=project, people=people)
    assert Runbook.objects.filter(project=project).count() == 2
    assert Step.objects.filter(runbook__project=project).count() == steps
    runs = {(r.runbook.kind, r.label): r for r in Run.objects.filter(project=project).select_related("runbook")}
    assert len(runs) == Run.objects.filter(project=project).count()
    assert runs["cutover", "Rehearsal #1"].finished_at > runs["cutover", "Rehearsal #1"].window_end
    assert runs["cutover", "Rehearsal #2"].finished_at <= runs["cutover", "Rehearsal #2"].window_end
    assert runs["cutover", "Production #1"].status == "planned"
    # The night's log: the seed's examples, resolved, on the timeline; the rollback rehearsed clean.
    issues = CutoverIssue.objects.filter(project=project)
    assert issues.count() == 5 and not issues.filter(status__in=["open", "mitigating"]).exists()
    login = issues.get(severity="sev1")
    assert "could not log in" in login.title and "connection" in login.resolution
    assert TimelineEvent.objects.filter(run=runs["cutover", "Rehearsal #1"], kind="update").count() == 5
    rollback = runs["rollback", "Rehearsal #1"]
    assert Drill.objects.filter(run=rollback, outcome="passed").exists()
