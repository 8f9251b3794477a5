from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from tests.projects.factories import member
from training import selectors, services

from .factories import make_course, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(project, users, other_project):
    trainer = users["trainer"]
    course = make_course(project, trainer, title="Counter basics")
    other_trainer = member(other_project, "trainer")
    return {"course": course, "trainer": trainer,
            "mine": make_session(course, trainer, capacity=1),
            "online": make_session(make_course(project, trainer, title="Loans"), trainer, mode="online",
                                   starts_in=timedelta(days=6)),
            "foreign": make_session(make_course(other_project, other_trainer), other_trainer)}


def test_sessions_limited_to_my_projects(users, outsider, data):
    mine = set(selectors.session_list_for_user(user=users["staff"]).values_list("pk", flat=True))
    assert mine == {data["mine"].pk, data["online"].pk}
    with pytest.raises(Http404):
        selectors.session_get_for_user(user=users["staff"], pk=data["foreign"].pk)
    with pytest.raises(Http404):
        selectors.session_get_for_user(user=outsider, pk=data["mine"].pk)


def test_catalogue_filters_and_my_status(project, users, data):
    staff = users["staff"]
    services.enrolment_enrol(actor=staff, session=data["mine"])
    rows = {s.pk: s for s in selectors.catalogue(project=project, user=staff)}
    assert rows[data["mine"].pk].my_status == "enrolled" and rows[data["mine"].pk].seats_left == 0
    assert rows[data["online"].pk].my_status is None
    assert [s.pk for s in selectors.catalogue(project=project, user=staff, mode="online")] == [data["online"].pk]
    assert [s.pk for s in selectors.catalogue(project=project, user=staff, course=data["course"].pk)] == [
        data["mine"].pk]
    day = data["online"].starts_at.date()
    assert [s.pk for s in selectors.catalogue(project=project, user=staff, date_from=day)] == [data["online"].pk]


def test_enrolments_visible_to_self_and_to_trainers(project, users, data):
    a, b = member(project, "staff"), member(project, "staff")
    for u in (a, b):
        services.enrolment_enrol(actor=u, session=data["online"])
    assert set(selectors.enrolment_list_for_user(user=a).values_list("user", flat=True)) == {a.pk}
    assert set(selectors.enrolment_list_for_user(user=data["trainer"]).values_list("user", flat=True)) == {a.pk, b.pk}
    assert not selectors.enrolment_list_for_user(user=users["tester"]).exists()


def test_roster_splits_seats_and_waitlist(project, data):
    a, b, c = (member(project, "staff") for _ in range(3))
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=data["mine"])
    roster = selectors.roster(session=data["mine"])
    assert [e.user for e in roster["seats"]] == [a]
    assert [e.user for e in roster["waitlist"]] == [b, c]


def test_my_training_todo_marks_booked_courses(project, users, data):
    staff = users["staff"]
    services.enrolment_enrol(actor=staff, session=data["online"])
    mine = selectors.my_training(project=project, user=staff)
    todo = {t["course"].title: t["booked"] for t in mine["todo"]}
    assert todo == {"Counter basics": False, "Loans": True}
    assert [e.session for e in mine["upcoming"]] == [data["online"]]


def test_calendar_sessions_include_waitlisted_and_run_sessions(project, users, data):
    staff = users["staff"]
    services.enrolment_enrol(actor=member(project, "staff"), session=data["mine"])
    services.enrolment_enrol(actor=staff, session=data["mine"])  # waitlisted
    rows = list(selectors.calendar_sessions(user=staff))
    assert [(s.pk, s.my_status) for s in rows] == [(data["mine"].pk, "waitlisted")]
    assert {s.pk for s in selectors.calendar_sessions(user=data["trainer"])} == {data["mine"].pk, data["online"].pk}


def test_coverage_counts_agree_with_the_full_report(project, users):
    """The readiness criterion's lean count and the coverage page's report say the same, also for people
    with several roles in several departments and with completions of some of their courses."""
    from django.core.cache import cache

    from projects.models import Department
    from tests.projects.factories import MembershipFactory
    from training import selectors as training_selectors
    from training.models import Enrolment, EnrolmentStatus, Session
    from training.services import course_create

    branch, ops = Department.objects.create(project=project, name="Branch"), Department.objects.create(
        project=project, name="Operations")
    everyone = course_create(actor=users["manager"], project=project, title="Counter basics",
                             required_roles=["staff", "tester"])
    branch_only = course_create(actor=users["manager"], project=project, title="Cash", required_departments=[branch])
    course_create(actor=users["manager"], project=project, title="Optional")
    people = [member(project, "staff", department=branch) for _ in range(4)] + [
        member(project, "staff", department=ops) for _ in range(2)]
    MembershipFactory(project=project, user=people[5], role="tester", department=branch)  # a second role
    now = timezone.now()
    for course, trained in ((everyone, people[:5]), (branch_only, people[1:3])):
        session = Session.objects.create(course=course, project=project, starts_at=now - timedelta(days=2),
                                         ends_at=now - timedelta(days=2, hours=-1), capacity=10,
                                         signup_deadline=now - timedelta(days=3), trainer=users["trainer"])
        for person in trained:
            Enrolment.objects.create(session=session, user=person, status=EnrolmentStatus.ATTENDED)
    cache.clear()  # the lean path, not the page's cached figures
    counted = training_selectors.coverage_counts(project=project)
    report = training_selectors.coverage_report(project=project)
    assert counted == (report["required_people"], report["trained_people"])
    assert report["trained_people"] >= 2 and report["required_people"] > report["trained_people"]
