"""Training of the SCALE benchmark launch (`manage.py seed_scale`): 20 courses required by roles and
departments, 80 sessions over the coming weeks (and a few past ones with attendance), and about
5,000 enrolments with waitlists. Bulk, idempotent."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from projects.scale import n

from .models import Course, Enrolment, EnrolmentStatus, Mode, Session

BATCH = 2000


def seed(*, project, people, size=1.0, stdout=None):
    if Course.objects.filter(project=project).exists():
        return
    trainers = people.get("trainer") or people["manager"]
    staff = people.get("staff") or []
    today = timezone.localdate()
    courses = Course.objects.bulk_create([
        Course(project=project, title=f"Course {k + 1:02d} · 课程{k + 1:02d}", duration_minutes=90,
               required_roles=["staff"] if k < 4 else (["developer", "ops"] if k < 6 else []))
        for k in range(20)])
    courses = list(Course.objects.filter(project=project).order_by("title"))
    sessions = []
    for k in range(n(80, size)):
        day = today + timedelta(days=k // 4 - 5)
        start = timezone.make_aware(datetime.combine(day, time(9 + 2 * (k % 4))))
        sessions.append(Session(project=project, course=courses[k % len(courses)], trainer=trainers[k % len(trainers)],
                                mode=Mode.OFFLINE if k % 3 else Mode.ONLINE, location=f"Training room {k % 9 + 1}",
                                starts_at=start, ends_at=start + timedelta(minutes=90), capacity=60,
                                signup_deadline=start))
    Session.objects.bulk_create(sessions)
    sessions = list(Session.objects.filter(project=project).order_by("starts_at", "pk"))
    now = timezone.now()
    enrolments, person = [], 0
    for session in sessions:
        past = session.starts_at < now
        for seat in range(66 if session.course.required_roles else 30):
            if person >= len(staff):
                person = 0
            user = staff[person]
            person += 1
            if seat < 60:
                status = (EnrolmentStatus.ATTENDED if seat % 10 else EnrolmentStatus.ABSENT) if past \
                    else EnrolmentStatus.ENROLLED
                enrolments.append(Enrolment(session=session, user=user, status=status, enrolled_at=now,
                                            attendance_marked_at=now if past else None))
            else:
                enrolments.append(Enrolment(session=session, user=user, status=EnrolmentStatus.WAITLISTED,
                                            waitlist_position=seat - 59))
    Enrolment.objects.bulk_create(enrolments, batch_size=BATCH, ignore_conflicts=True)
    if stdout:
        stdout.write(f"Training: {len(courses)} courses, {len(sessions)} sessions, {len(enrolments)} enrolments.")
