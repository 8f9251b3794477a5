from datetime import timedelta

import pytest
from django.utils import timezone

from tests.projects.factories import member
from tests.utils import api_as, count_queries
from training import services
from training.models import Course, Enrolment, Session

from .factories import make_course, make_session

pytestmark = pytest.mark.django_db

COURSES = "/api/v1/training/courses/"
SESSIONS = "/api/v1/training/sessions/"
ENROLMENTS = "/api/v1/training/enrolments/"


@pytest.fixture
def setup(project, users):
    trainer = users["trainer"]
    course = make_course(project, trainer, title="Counter basics")
    return {"course": course, "session": make_session(course, trainer, capacity=2), "trainer": trainer}


def _session_payload(course_obj, **overrides):
    start = timezone.now() + timedelta(days=5)
    return {"course": course_obj.pk, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 10, "mode": "online", "location": "https://meet.bank.example/x", **overrides}


# ------------------------------------------------------------------ permission matrix

def test_lists_permission_matrix(project, users, outsider, setup):
    for url in (COURSES, SESSIONS, ENROLMENTS):
        assert api_as().get(url).status_code == 401
        for role, user in users.items():
            assert api_as(user).get(url, {"project": project.pk}).status_code == 200, (url, role)
        assert api_as(outsider).get(url, {"project": project.pk}).status_code == 404, url
        assert api_as(outsider).get(url).json()["count"] == 0
    assert api_as(outsider).get(ENROLMENTS, {"session": setup["session"].pk}).status_code == 404


def test_objects_permission_matrix(project, users, outsider, setup):
    session_url = f"{SESSIONS}{setup['session'].pk}/"
    course_url = f"{COURSES}{setup['course'].pk}/"
    for url in (session_url, course_url):
        assert api_as().get(url).status_code == 401
        for role, user in users.items():
            assert api_as(user).get(url).status_code == 200, role
        assert api_as(outsider).get(url).status_code == 404


def test_create_course_and_session_matrix(project, users, outsider, setup):
    for role, user in users.items():
        expected = 201 if role in ("manager", "trainer") else 403
        response = api_as(user).post(COURSES, {"project": project.pk, "title": f"Course by {role}"}, format="json")
        assert response.status_code == expected, (role, response.json())
        response = api_as(user).post(SESSIONS, _session_payload(setup["course"],
                                                                starts_at=(timezone.now() + timedelta(days=10 + len(role))).isoformat(),
                                                                ends_at=(timezone.now() + timedelta(days=10 + len(role), hours=1)).isoformat()),
                                     format="json")
        assert response.status_code == expected, (role, response.json())
    assert api_as(outsider).post(COURSES, {"project": project.pk, "title": "X"}, format="json").status_code == 404
    assert api_as(outsider).post(SESSIONS, _session_payload(setup["course"]), format="json").status_code == 404
    assert api_as().post(COURSES, {"project": project.pk, "title": "X"}, format="json").status_code == 401


def test_session_update_only_by_its_trainer_or_a_manager(project, users, setup):
    url = f"{SESSIONS}{setup['session'].pk}/"
    assert api_as(users["staff"]).patch(url, {"capacity": 5}, format="json").status_code == 403
    assert api_as(member(project, "trainer")).patch(url, {"capacity": 5}, format="json").status_code == 403
    response = api_as(setup["trainer"]).patch(url, {"capacity": 5}, format="json")
    assert response.status_code == 200 and response.json()["capacity"] == 5
    assert api_as(users["manager"]).patch(url, {"capacity": 6}, format="json").status_code == 200


# ------------------------------------------------------------------ contract

def test_session_create_contract(project, users, setup):
    response = api_as(setup["trainer"]).post(SESSIONS, _session_payload(setup["course"]), format="json")
    assert response.status_code == 201
    data = response.json()
    assert {"id", "course", "starts_at", "ends_at", "capacity", "mode", "location", "seats_taken",
            "waitlist_count"} <= set(data)
    assert data["seats_taken"] == 0 and data["waitlist_count"] == 0 and data["project"] == project.pk
    assert data["trainer"] == setup["trainer"].pk


def test_enroll_waitlist_cancel_flow(project, users, setup):
    session = setup["session"]
    url = f"{SESSIONS}{session.pk}/"
    a, b, c = (member(project, "staff") for _ in range(3))
    assert api_as(a).post(url + "enroll/").json()["status"] == "enrolled"
    assert api_as(b).post(url + "enroll/").json()["status"] == "enrolled"
    response = api_as(c).post(url + "enroll/")
    assert response.status_code == 200 and response.json() == {"id": response.json()["id"], "status": "waitlisted",
                                                                "waitlist_position": 1}
    again = api_as(c).post(url + "enroll/")
    assert again.json()["status"] == "waitlisted" and Enrolment.objects.filter(user=c).count() == 1
    detail = api_as(a).get(url).json()
    assert detail["seats_taken"] == 2 and detail["waitlist_count"] == 1 and detail["my_status"] == "enrolled"
    assert api_as(a).post(url + "cancel/").json()["status"] == "cancelled"
    assert Enrolment.objects.get(user=c).status == "enrolled"
    rows = api_as(setup["trainer"]).get(ENROLMENTS, {"session": session.pk}).json()["results"]
    assert {(r["user"], r["status"]) for r in rows} == {(a.pk, "cancelled"), (b.pk, "enrolled"), (c.pk, "enrolled")}
    assert set(rows[0]) >= {"id", "session", "user", "status"}


def test_staff_see_only_their_own_enrolments(project, users, setup):
    a, b = member(project, "staff"), member(project, "staff")
    for u in (a, b):
        services.enrolment_enrol(actor=u, session=setup["session"])
    rows = api_as(a).get(ENROLMENTS, {"session": setup["session"].pk}).json()["results"]
    assert [r["user"] for r in rows] == [a.pk]


def test_enrolling_someone_else(project, users, setup):
    url = f"{SESSIONS}{setup['session'].pk}/enroll/"
    response = api_as(users["staff"]).post(url, {"user": users["tester"].pk}, format="json")
    assert response.status_code == 403 and response.json()["detail"]
    assert not Enrolment.objects.exists()
    response = api_as(setup["trainer"]).post(url, {"user": users["tester"].pk}, format="json")
    assert response.status_code == 200 and Enrolment.objects.get().user == users["tester"]


def test_attendance_endpoint(project, users, setup):
    session = setup["session"]
    a = member(project, "staff")
    services.enrolment_enrol(actor=a, session=session)
    url = f"{SESSIONS}{session.pk}/attendance/"
    payload = {"attendance": [{"user": a.pk, "status": "attended"}]}
    assert api_as(users["staff"]).post(url, payload, format="json").status_code == 403
    response = api_as(setup["trainer"]).post(url, payload, format="json")
    assert response.status_code == 400 and "once the session has started" in response.json()["detail"]
    assert Enrolment.objects.get(user=a).status == "enrolled"
    moment = timezone.now() - timedelta(minutes=1)
    Session.objects.filter(pk=session.pk).update(starts_at=moment, signup_deadline=moment)
    bad = api_as(setup["trainer"]).post(url, {"attendance": [{"user": a.pk, "status": "late"}]}, format="json")
    assert bad.status_code == 400
    response = api_as(setup["trainer"]).post(url, payload, format="json")
    assert response.status_code == 200 and response.json()[0]["status"] == "attended"
    assert api_as(setup["trainer"]).get(url).json()[0]["user"] == a.pk


# ------------------------------------------------------------------ bad input: 400, clear message, nothing saved

@pytest.mark.parametrize("overrides, field, message", [
    ({"capacity": 0}, "capacity", "at least one seat"),
    ({"ends_at": (timezone.now() + timedelta(days=4)).isoformat()}, "ends_at", "end after it starts"),
    ({"mode": "hybrid"}, "mode", ""),
    ({"course": None}, "course", "required"),
])
def test_session_bad_input(project, users, setup, overrides, field, message):
    before = Session.objects.count()
    payload = {k: v for k, v in _session_payload(setup["course"], **overrides).items() if v is not None}
    response = api_as(setup["trainer"]).post(SESSIONS, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body and message in body["detail"]
    assert Session.objects.count() == before


def test_capacity_below_enrolled_via_api(project, users, setup):
    session = setup["session"]
    for u in (member(project, "staff"), member(project, "staff")):
        services.enrolment_enrol(actor=u, session=session)
    response = api_as(setup["trainer"]).patch(f"{SESSIONS}{session.pk}/", {"capacity": 1}, format="json")
    assert response.status_code == 400 and "cannot go below" in response.json()["capacity"][0]
    session.refresh_from_db()
    assert session.capacity == 2


def test_enroll_after_deadline_via_api(project, users, setup):
    late = make_session(setup["course"], setup["trainer"], starts_in=timedelta(hours=6),
                        deadline_before=timedelta(days=1))
    response = api_as(users["staff"]).post(f"{SESSIONS}{late.pk}/enroll/")
    assert response.status_code == 400 and "closed" in response.json()["detail"]
    assert not Enrolment.objects.exists()


def test_cancel_when_not_signed_up(project, users, setup):
    response = api_as(users["staff"]).post(f"{SESSIONS}{setup['session'].pk}/cancel/")
    assert response.status_code == 400 and "not signed up" in response.json()["detail"]


def test_course_bad_input(project, users, setup):
    response = api_as(setup["trainer"]).post(COURSES, {"project": project.pk, "title": "Counter basics"},
                                             format="json")
    assert response.status_code == 400 and "already has a course" in response.json()["detail"]
    response = api_as(setup["trainer"]).post(COURSES, {"project": project.pk, "title": "X",
                                                       "required_roles": ["wizard"]}, format="json")
    assert response.status_code == 400 and "required_roles" in response.json()
    assert Course.objects.count() == 1


# ------------------------------------------------------------------ query counts

def test_session_list_query_count_constant(project, users, setup):
    client = api_as(users["staff"])
    _, few = count_queries(lambda: client.get(SESSIONS, {"project": project.pk}))
    for i in range(49):
        s = make_session(setup["course"], setup["trainer"], starts_in=timedelta(days=5 + i))
        services.enrolment_enrol(actor=users["staff"], session=s)
    response, many = count_queries(lambda: client.get(SESSIONS, {"project": project.pk, "page_size": 100}))
    assert response.json()["count"] == 50 and few == many


def test_enrolment_and_course_list_query_count_constant(project, users, setup):
    client = api_as(users["manager"])
    services.enrolment_enrol(actor=users["staff"], session=setup["session"])
    _, few_e = count_queries(lambda: client.get(ENROLMENTS, {"project": project.pk}))
    _, few_c = count_queries(lambda: client.get(COURSES, {"project": project.pk}))
    for i in range(49):
        course = make_course(project, setup["trainer"], title=f"C{i}")
        s = make_session(course, setup["trainer"], starts_in=timedelta(days=5 + i))
        services.enrolment_enrol(actor=member(project, "staff"), session=s)
    response, many_e = count_queries(lambda: client.get(ENROLMENTS, {"project": project.pk, "page_size": 100}))
    assert response.json()["count"] == 50 and few_e == many_e
    response, many_c = count_queries(lambda: client.get(COURSES, {"project": project.pk, "page_size": 100}))
    assert response.json()["count"] == 50 and few_c == many_c
