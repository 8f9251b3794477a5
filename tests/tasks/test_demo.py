import time

import pytest

from projects import demo as project_demo
from tasks import demo
from tasks.models import Run, Runbook

pytestmark = pytest.mark.django_db


def test_demo_seed_is_fast_and_idempotent():
    project, people = project_demo.seed()
    start = time.perf_counter()
    demo.seed(project=project, people=people)
    elapsed = time.perf_counter() - start
    demo.seed(project=project, people=people)
    assert Runbook.objects.filter(project=project).count() == 2
    runs = {r.label: r for r in Run.objects.filter(project=project)}
    assert runs["Rehearsal #1"].finished_at > runs["Rehearsal #1"].window_end
    assert runs["Rehearsal #2"].finished_at <= runs["Rehearsal #2"].window_end
    assert runs["Production #1"].status == "planned"
    assert elapsed < 10, elapsed
