"""Training test data, built through the services."""

from datetime import timedelta

from django.utils import timezone

from training import services
from training.models import Mode


def make_course(project, actor, title=None, required_roles=("staff",), required_departments=(), **kwargs):
    title = title or f"Course {project.courses.count() + 1}"
    return services.course_create(actor=actor, project=project, title=title, required_roles=list(required_roles),
                                  required_departments=list(required_departments), **kwargs)


def make_session(course, actor, *, starts_in=timedelta(days=3), hours=2, capacity=10, mode=Mode.OFFLINE,
                 deadline_before=None, trainer=None, starts_at=None):
    starts_at = starts_at or timezone.now() + starts_in
    return services.session_create(
        actor=actor, course=course, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
        capacity=capacity, mode=mode, location="Room 302", trainer=trainer,
        signup_deadline=starts_at - deadline_before if deadline_before else None)
