from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import Notification
from projects.errors import DomainError
from projects.models import Membership
from readiness import registry as readiness
from tests.projects.factories import DepartmentFactory, member
from training import reminders, selectors, services
from training.models import CalendarToken, Course, Enrolment, Session

from .factories import make_course, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer(users):
    return users["trainer"]


@pytest.fixture
def course(project, trainer):
    return make_course(project, trainer, title="Counter basics")


def staff_members(project, n):
    return [member(project, "staff") for _ in range(n)]


def statuses(session):
    return {e.user_id: (e.status, e.waitlist_position) for e in Enrolment.objects.filter(session=session)}


# ------------------------------------------------------------------ capacity and waitlist

def test_capacity_then_waitlist_in_arrival_order(project, course, trainer):
    session = make_session(course, trainer, capacity=2)
    a, b, c, d = staff_members(project, 4)
    results = [services.enrolment_enrol(actor=u, session=session) for u in (a, b, c, d)]
    assert [(r.status, r.waitlist_position) for r in results] == [
        ("enrolled", None), ("enrolled", None), ("waitlisted", 1), ("waitlisted", 2)]
    annotated = selectors.session_list_for_user(user=trainer).get(pk=session.pk)
    assert (annotated.seats_taken, annotated.waitlist_count, annotated.seats_left) == (2, 2, 0)


def test_cancel_promotes_first_waiting_and_notifies_them(project, course, trainer):
    session = make_session(course, trainer, capacity=1)
    a, b, c = staff_members(project, 3)
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=session)
    services.enrolment_cancel(actor=a, session=session)
    assert statuses(session) == {a.pk: ("cancelled", None), b.pk: ("enrolled", None), c.pk: ("waitlisted", 1)}
    note = Notification.objects.get(recipient=b, kind="training_promoted")
    assert "now enrolled" in note.message and note.project == project
    assert not Notification.objects.filter(recipient=c).exists()


def test_leaving_the_waitlist_renumbers_it(project, course, trainer):
    session = make_session(course, trainer, capacity=1)
    a, b, c, d = staff_members(project, 4)
    for u in (a, b, c, d):
        services.enrolment_enrol(actor=u, session=session)
    services.enrolment_cancel(actor=b, session=session)
    assert statuses(session)[c.pk] == ("waitlisted", 1) and statuses(session)[d.pk] == ("waitlisted", 2)
    assert not Notification.objects.filter(kind="training_promoted").exists()


def test_enrolling_twice_changes_nothing(project, course, trainer):
    session = make_session(course, trainer, capacity=1)
    a, b = staff_members(project, 2)
    first = services.enrolment_enrol(actor=a, session=session)
    services.enrolment_enrol(actor=b, session=session)
    history = Enrolment.history.count()
    again = services.enrolment_enrol(actor=a, session=session)
    waiting_again = services.enrolment_enrol(actor=b, session=session)
    assert again.pk == first.pk and again.status == "enrolled"
    assert waiting_again.status == "waitlisted" and waiting_again.waitlist_position == 1
    assert Enrolment.objects.count() == 2 and Enrolment.history.count() == history


def test_re_enrolling_after_cancel_goes_to_the_back(project, course, trainer):
    session = make_session(course, trainer, capacity=1)
    a, b, c = staff_members(project, 3)
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=session)
    services.enrolment_cancel(actor=b, session=session)
    again = services.enrolment_enrol(actor=b, session=session)
    assert again.status == "waitlisted" and again.waitlist_position == 2


def test_no_two_seats_in_overlapping_sessions(project, course, trainer):
    other = make_course(project, trainer, title="Loans")
    start = timezone.now() + timedelta(days=2)
    s1 = make_session(course, trainer, starts_at=start, hours=2)
    s2 = make_session(other, trainer, starts_at=start + timedelta(hours=1), hours=2)
    s3 = make_session(other, trainer, starts_at=start + timedelta(hours=2), hours=2)  # back to back: fine
    (a,) = staff_members(project, 1)
    services.enrolment_enrol(actor=a, session=s1)
    with pytest.raises(DomainError) as exc:
        services.enrolment_enrol(actor=a, session=s2)
    assert "overlaps" in str(exc.value) and "Counter basics" in str(exc.value)
    assert not Enrolment.objects.filter(session=s2).exists()
    assert services.enrolment_enrol(actor=a, session=s3).status == "enrolled"


def test_promotion_skips_someone_now_seated_in_an_overlapping_session(project, course, trainer):
    other = make_course(project, trainer, title="Loans")
    start = timezone.now() + timedelta(days=2)
    full = make_session(course, trainer, starts_at=start, capacity=1)
    clash = make_session(other, trainer, starts_at=start, capacity=5)
    a, b, c = staff_members(project, 3)
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=full)
    services.enrolment_enrol(actor=b, session=clash)  # b is waiting for `full`, seated in `clash`
    services.enrolment_cancel(actor=a, session=full)
    assert statuses(full)[b.pk] == ("waitlisted", 1)
    assert statuses(full)[c.pk] == ("enrolled", None)


# ------------------------------------------------------------------ deadlines and who may act

def test_sign_up_after_deadline_is_refused_but_trainer_may_still_add(project, course, trainer):
    session = make_session(course, trainer, starts_in=timedelta(days=1), deadline_before=timedelta(days=2))
    a, b = staff_members(project, 2)
    with pytest.raises(DomainError) as exc:
        services.enrolment_enrol(actor=a, session=session)
    assert "closed" in str(exc.value)
    assert not Enrolment.objects.exists()
    assert services.enrolment_enrol(actor=trainer, session=session, user=b).status == "enrolled"


def test_cancel_after_deadline_only_by_trainer(project, course, trainer):
    start = timezone.now() + timedelta(days=3)
    session = make_session(course, trainer, starts_at=start, deadline_before=timedelta(days=1))
    (a,) = staff_members(project, 1)
    services.enrolment_enrol(actor=a, session=session)
    with freeze_time(start - timedelta(hours=12)):
        with pytest.raises(DomainError):
            services.enrolment_cancel(actor=a, session=session)
        assert Enrolment.objects.get(user=a).status == "enrolled"
        services.enrolment_cancel(actor=trainer, session=session, user=a)
    assert Enrolment.objects.get(user=a).status == "cancelled"


def test_staff_cannot_enrol_someone_else(project, course, trainer):
    session = make_session(course, trainer)
    a, b = staff_members(project, 2)
    with pytest.raises(DomainError) as exc:
        services.enrolment_enrol(actor=a, session=session, user=b)
    assert exc.value.code == "permission"
    assert not Enrolment.objects.exists()


def test_non_member_cannot_be_enrolled(project, course, trainer, outsider):
    session = make_session(course, trainer)
    with pytest.raises(DomainError) as exc:
        services.enrolment_enrol(actor=trainer, session=session, user=outsider)
    assert exc.value.field == "user"


def test_started_session_is_closed(project, course, trainer):
    session = make_session(course, trainer)
    (a,) = staff_members(project, 1)
    with pytest.raises(DomainError):
        services.enrolment_enrol(actor=trainer, session=session, user=a, now=session.starts_at)


# ------------------------------------------------------------------ sessions

def test_session_bad_input_saves_nothing(project, course, trainer):
    start = timezone.now() + timedelta(days=1)
    cases = [
        ({"starts_at": start, "ends_at": start, "capacity": 5}, "ends_at"),
        ({"starts_at": start, "ends_at": start - timedelta(hours=1), "capacity": 5}, "ends_at"),
        ({"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 0}, "capacity"),
        ({"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 5,
          "signup_deadline": start + timedelta(minutes=5)}, "signup_deadline"),
        ({"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 5, "mode": "hybrid"}, "mode"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as exc:
            services.session_create(actor=trainer, course=course, **kwargs)
        assert exc.value.field == field
    assert not Session.objects.exists()


def test_session_trainer_must_be_a_trainer(project, course, users):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(DomainError) as exc:
        services.session_create(actor=users["manager"], course=course, trainer=users["tester"], starts_at=start,
                                ends_at=start + timedelta(hours=1), capacity=3)
    assert exc.value.field == "trainer"
    session = services.session_create(actor=users["trainer"], course=course, starts_at=start,
                                      ends_at=start + timedelta(hours=1), capacity=3)
    assert session.trainer == users["trainer"] and session.signup_deadline == start
    assert session.history.first().history_user == users["trainer"]


def test_capacity_cannot_drop_below_seats_and_raising_it_promotes(project, course, trainer):
    session = make_session(course, trainer, capacity=2)
    a, b, c = staff_members(project, 3)
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=session)
    with pytest.raises(DomainError) as exc:
        services.session_update(actor=trainer, session=session, capacity=1)
    assert exc.value.field == "capacity" and "2 people" in str(exc.value)
    session.refresh_from_db()
    assert session.capacity == 2
    services.session_update(actor=trainer, session=session, capacity=3)
    assert statuses(session)[c.pk] == ("enrolled", None)
    assert Notification.objects.filter(recipient=c, kind="training_promoted").exists()


# ------------------------------------------------------------------ attendance and coverage

def test_attendance_before_start_is_refused(project, course, trainer):
    session = make_session(course, trainer)
    (a,) = staff_members(project, 1)
    services.enrolment_enrol(actor=a, session=session)
    with pytest.raises(DomainError) as exc:
        services.attendance_record(actor=trainer, session=session, marks={a.pk: "attended"})
    assert exc.value.code == "not_started"
    assert Enrolment.objects.get(user=a).status == "enrolled"


def test_attendance_is_all_or_nothing_and_completes_the_course(project, course, trainer):
    session = make_session(course, trainer, capacity=2)
    a, b, c = staff_members(project, 3)
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=session)
    later = session.starts_at + timedelta(minutes=30)
    with pytest.raises(DomainError):  # c is only waitlisted
        services.attendance_record(actor=trainer, session=session, marks={a.pk: "attended", c.pk: "attended"},
                                   now=later)
    with pytest.raises(DomainError):
        services.attendance_record(actor=trainer, session=session, marks={a.pk: "late"}, now=later)
    assert statuses(session)[a.pk] == ("enrolled", None)
    services.attendance_record(actor=trainer, session=session, marks={a.pk: "attended", b.pk: "absent"}, now=later)
    assert statuses(session)[a.pk][0] == "attended" and statuses(session)[b.pk][0] == "absent"
    report = selectors.coverage_report(project=project)
    trained = {p["user_id"] for p in report["people"] if p["trained"]}
    assert a.pk in trained and b.pk not in trained


def test_attendance_only_by_the_sessions_trainer_or_a_manager(project, course, trainer, users):
    other_trainer = member(project, "trainer")
    session = make_session(course, trainer)
    (a,) = staff_members(project, 1)
    services.enrolment_enrol(actor=a, session=session)
    later = session.starts_at + timedelta(minutes=1)
    with pytest.raises(DomainError):
        services.attendance_record(actor=other_trainer, session=session, marks={a.pk: "attended"}, now=later)
    services.attendance_record(actor=users["manager"], session=session, marks={a.pk: "attended"}, now=later)


def test_coverage_by_role_and_department(project, trainer, users):
    retail, it = DepartmentFactory(project=project, name="Retail"), DepartmentFactory(project=project, name="IT")
    teller = make_course(project, trainer, title="Teller", required_roles=["staff"], required_departments=[retail])
    basics = make_course(project, trainer, title="Basics", required_roles=["staff"])
    make_course(project, trainer, title="Optional", required_roles=[])
    r1, r2 = member(project, "staff", department=retail), member(project, "staff", department=retail)
    i1 = member(project, "staff", department=it)
    Membership.objects.filter(user=users["staff"]).update(department=it)
    for c in (teller, basics):
        session = make_session(c, trainer, starts_in=timedelta(days=1 + c.pk), capacity=10)
        for u in (r1, i1):
            services.enrolment_enrol(actor=u, session=session)
        services.attendance_record(actor=trainer, session=session, marks={r1.pk: "attended", i1.pk: "attended"},
                                   now=session.ends_at)
    report = selectors.coverage_report(project=project)
    by_course = {c["course"].title: (c["completed"], c["required"]) for c in report["courses"]}
    assert by_course == {"Basics": (2, 4), "Optional": (0, 0), "Teller": (1, 2)}
    by_dept = {d["name"]: (d["trained"], d["required"], d["pct"]) for d in report["departments"]}
    assert by_dept == {"IT": (1, 2, 50.0), "Retail": (1, 2, 50.0)}
    assert (report["trained_people"], report["required_people"], report["pct"]) == (2, 4, 50.0)
    assert {p["user_id"] for p in report["untrained"]} == {r2.pk, users["staff"].pk}
    assert users["manager"].pk not in {p["user_id"] for p in report["people"]}


def test_readiness_criterion_uses_configurable_target(project, trainer, users):
    course = make_course(project, trainer, title="Basics", required_roles=["staff"])
    staff = staff_members(project, 3)  # 4 staff with users["staff"]
    session = make_session(course, trainer, capacity=10)
    for u in staff:
        services.enrolment_enrol(actor=u, session=session)
    services.attendance_record(actor=trainer, session=session, marks={u.pk: "attended" for u in staff},
                               now=session.ends_at)

    def result():
        return next(e for e in readiness.evaluate(project)["criteria"] if e.key == "training_coverage")

    first = result()
    assert first.target == 95 and first.result.value == 75.0 and not first.passed
    project.readiness_targets = {"training_coverage": {"target": 70}}
    project.save()
    assert result().passed


def test_readiness_fails_when_nothing_is_required(project):
    entry = next(e for e in readiness.evaluate(project)["criteria"] if e.key == "training_coverage")
    assert not entry.passed and "No course is required" in str(entry.result.explanation)


def test_untrained_reminder_once_a_day(project, trainer, users):
    make_course(project, trainer, title="Basics", required_roles=["staff"])
    staff = users["staff"]
    assert services.untrained_remind(actor=trainer, project=project, users=[staff]) == 1
    assert services.untrained_remind(actor=trainer, project=project, users=[staff]) == 0
    note = Notification.objects.get(recipient=staff, kind="training_required")
    assert "Basics" in note.message
    with pytest.raises(DomainError):
        services.untrained_remind(actor=users["staff"], project=project, users=[staff])


# ------------------------------------------------------------------ courses, calendar token, reminder rule

def test_course_bad_input(project, trainer, other_project):
    with pytest.raises(DomainError) as exc:
        make_course(project, trainer, title="  ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        make_course(project, trainer, title="X", required_roles=["wizard"])
    assert exc.value.field == "required_roles"
    with pytest.raises(DomainError) as exc:
        make_course(project, trainer, title="X", required_departments=[DepartmentFactory(project=other_project)])
    assert exc.value.field == "required_departments"
    make_course(project, trainer, title="X")
    with pytest.raises(DomainError):
        make_course(project, trainer, title="X")
    assert Course.objects.count() == 1


def test_calendar_token_regenerates(users):
    user = users["staff"]
    first = services.calendar_token_for(user=user).token
    assert services.calendar_token_for(user=user).token == first
    assert services.calendar_token_regenerate(user=user).token != first
    assert CalendarToken.objects.filter(user=user).count() == 1


def test_reminder_rule_24h_before_for_seated_people_and_trainer(project, course, trainer):
    now = timezone.now()
    soon = make_session(course, trainer, starts_at=now + timedelta(hours=20), capacity=1)
    later = make_session(course, trainer, starts_at=now + timedelta(days=3), capacity=5)
    a, b = staff_members(project, 2)
    services.enrolment_enrol(actor=a, session=soon)
    services.enrolment_enrol(actor=b, session=soon)  # waitlisted: no reminder
    services.enrolment_enrol(actor=b, session=later)
    due = list(reminders.sessions_soon(now=now))
    assert {(r.recipient.pk, r.subject.pk) for r in due} == {(a.pk, soon.pk), (trainer.pk, soon.pk)}
    assert len({r.dedupe_key for r in due}) == 2
    assert all(r.kind == "training_session_soon" for r in due)


# ------------------------------------------------------------------ materials

def _manual(course, actor, title="Manual"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.material_add(actor=actor, course=course, title=title,
                                 file=SimpleUploadedFile("manual.pdf", b"%PDF-1.4 demo"))


def test_material_delete_removes_row_and_file_after_commit_and_keeps_history(course, trainer,
                                                                             django_capture_on_commit_callbacks):
    from pathlib import Path

    from training.models import CourseMaterial

    material = _manual(course, trainer)
    path, pk = Path(material.file.path), material.pk
    assert path.exists() and CourseMaterial.history.filter(id=pk).count() == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.material_delete(actor=trainer, material=material)
    assert not CourseMaterial.objects.filter(pk=pk).exists()
    assert path.exists() and len(callbacks) == 1  # nothing leaves the disk before the commit
    for callback in callbacks:
        callback()
    assert not path.exists()
    deleted = CourseMaterial.history.filter(id=pk).latest("history_date")
    assert deleted.history_type == "-" and deleted.history_user == trainer and deleted.title == "Manual"


def test_material_delete_executes_on_commit(course, trainer, django_capture_on_commit_callbacks):
    from pathlib import Path

    material = _manual(course, trainer)
    path = Path(material.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.material_delete(actor=trainer, material=material)
    assert not path.exists() and not course.materials.exists()


def test_material_delete_rolled_back_keeps_row_and_file(course, trainer, django_capture_on_commit_callbacks):
    from pathlib import Path

    from django.db import transaction

    material = _manual(course, trainer)
    path, pk = Path(material.file.path), material.pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            services.material_delete(actor=trainer, material=material)
            raise RuntimeError("something later in the same transaction failed")
    assert callbacks == [] and path.exists() and course.materials.filter(pk=pk).exists()


def test_material_delete_of_a_link_and_of_a_file_another_row_still_uses(course, trainer,
                                                                        django_capture_on_commit_callbacks):
    from pathlib import Path

    from training.models import CourseMaterial

    link = services.material_add(actor=trainer, course=course, title="Video", link="/media/videos/intro.mp4")
    material = _manual(course, trainer)
    twin = CourseMaterial.objects.create(course=course, title="Same manual", file=material.file.name)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.material_delete(actor=trainer, material=link)
        services.material_delete(actor=trainer, material=material)
    assert callbacks == [] and Path(twin.file.path).exists()
    assert list(course.materials.all()) == [twin]


# ------------------------------------------------------------------ completed courses

def _complete(course, trainer, user):
    session = make_session(course, trainer, starts_in=timedelta(days=1))
    services.enrolment_enrol(actor=user, session=session)
    services.attendance_record(actor=trainer, session=session, marks={user.pk: "attended"}, now=session.ends_at)
    return session


def test_enrolling_in_a_course_already_completed_is_refused_and_saves_nothing(project, course, trainer):
    (a,) = staff_members(project, 1)
    done = _complete(course, trainer, a)
    later = make_session(course, trainer, starts_in=timedelta(days=5))
    before = (Enrolment.objects.count(), Enrolment.history.count())
    with pytest.raises(DomainError) as exc:
        services.enrolment_enrol(actor=a, session=later)
    day = timezone.localtime(done.starts_at).strftime("%Y-%m-%d")
    assert exc.value.code == "completed"
    assert str(exc.value.message) == f"You completed this course on {day}; no need to take it again."
    with pytest.raises(DomainError) as exc:  # a trainer signing them up is refused too, naming the person
        services.enrolment_enrol(actor=trainer, session=later, user=a)
    assert "completed this course on" in str(exc.value.message)
    assert (Enrolment.objects.count(), Enrolment.history.count()) == before
    assert not Enrolment.objects.filter(session=later).exists()
    other = make_session(make_course(project, trainer, title="Loans"), trainer, starts_in=timedelta(days=5))
    assert services.enrolment_enrol(actor=a, session=other).status == "enrolled"  # other courses stay open


def test_completed_course_does_not_hold_back_the_waitlist(project, course, trainer):
    (done_user,) = staff_members(project, 1)
    _complete(course, trainer, done_user)
    full = make_session(course, trainer, starts_in=timedelta(days=5), capacity=1)
    a, b = staff_members(project, 2)
    assert [services.enrolment_enrol(actor=u, session=full).status for u in (a, b)] == ["enrolled", "waitlisted"]
    with pytest.raises(DomainError):
        services.enrolment_enrol(actor=done_user, session=full)
    assert statuses(full) == {a.pk: ("enrolled", None), b.pk: ("waitlisted", 1)}
