import pytest
from django.utils import timezone

from projects import demo as project_demo
from training import demo, selectors
from training.models import Course, Enrolment, Session

pytestmark = pytest.mark.django_db


def test_demo_plan_is_realistic_and_idempotent():
    project, people = project_demo.seed()
    demo.seed(project=project, people=people)
    assert Course.objects.filter(project=project).count() == 6
    sessions = list(selectors.catalogue(project=project, user=people["manager"][0], include_past=True))
    assert len(sessions) == 20
    past = [s for s in sessions if s.ends_at < timezone.now()]
    assert past and all(s.enrolments.filter(status__in=["attended", "absent"]).exists() for s in past)
    upcoming = [s for s in sessions if s.starts_at > timezone.now()]
    assert any(s.seats_left == 0 and s.waitlist_count for s in upcoming)
    assert any(0 < s.seats_taken < s.capacity for s in upcoming)
    assert 60 <= selectors.coverage_report(project=project)["pct"] <= 80
    # Nobody holds a seat or waits in a later session of a course they already completed.
    completed = {}
    for user_id, course_id, start in Enrolment.objects.filter(session__project=project, status="attended") \
            .values_list("user_id", "session__course_id", "session__starts_at"):
        completed[user_id, course_id] = min(start, completed.get((user_id, course_id), start))
    booked_after = [e for e in Enrolment.objects.filter(session__project=project, status__in=["enrolled", "waitlisted"])
                    .select_related("session")
                    if (e.user_id, e.session.course_id) in completed
                    and e.session.starts_at > completed[e.user_id, e.session.course_id]]
    assert booked_after == []
    demo.seed(project=project, people=people)
    assert Session.objects.filter(project=project).count() == 20


def test_demo_has_online_modules_and_change_impacts():
    from training.models import ChangeImpact, Module, ModuleProgress
    from training.readiness_criteria import change_impacts_covered

    project, people = project_demo.seed()
    demo.seed(project=project, people=people)
    assert Module.objects.filter(course__project=project).count() == 5
    assert ModuleProgress.objects.filter(module__course__project=project, completed_at__isnull=False).exists()
    staff = next(u for u in people["staff"] if u.username == "staff")
    record = {r["course"].pk: r for r in selectors.my_record(project=project, user=staff)}
    assert any(r["status"] == "in_progress" for r in record.values())
    assert ChangeImpact.objects.filter(project=project).count() == 7
    high = selectors.change_impacts(project=project, level="high")
    assert [i.covered for i in high].count(False) == 1  # business experts: no course yet, a visible blocker
    assert not change_impacts_covered(project, 100).passed
