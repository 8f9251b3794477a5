import csv
import io
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from openpyxl import load_workbook

from notifications.models import Notification
from tests.projects.factories import member
from tests.utils import count_queries, htmx
from training import services
from training.models import Enrolment, Session

from .factories import make_course, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(project, users):
    trainer = users["trainer"]
    course = make_course(project, trainer, title="Counter basics")
    session = make_session(course, trainer, capacity=2)
    return {"course": course, "session": session, "trainer": trainer}


def _login(client, user):
    client.force_login(user)
    return client


def _urls(project, setup):
    s, c = setup["session"], setup["course"]
    return {
        "catalogue": (reverse("training:catalogue", args=[project.pk]), "all"),
        "mine": (reverse("training:mine", args=[project.pk]), "all"),
        "courses": (reverse("training:courses", args=[project.pk]), "all"),
        "course": (reverse("training:course", args=[project.pk, c.pk]), "all"),
        "session": (reverse("training:session", args=[project.pk, s.pk]), "all"),
        "ics": (reverse("training:session_ics", args=[project.pk, s.pk]), "all"),
        "session_create": (reverse("training:session_create", args=[project.pk]), "trainers"),
        "session_edit": (reverse("training:session_edit", args=[project.pk, s.pk]), "trainers"),
        "coverage": (reverse("training:coverage", args=[project.pk]), "trainers"),
        "coverage_csv": (reverse("training:coverage_export", args=[project.pk, "csv"]), "trainers"),
        "coverage_xlsx": (reverse("training:coverage_export", args=[project.pk, "xlsx"]), "trainers"),
    }


@pytest.mark.parametrize("page", ["catalogue", "mine", "courses", "course", "session", "ics", "session_create",
                                  "session_edit", "coverage", "coverage_csv", "coverage_xlsx"])
def test_pages_permission_matrix(client, project, users, outsider, setup, page):
    url, who = _urls(project, setup)[page]
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role, user in users.items():
        expected = 200 if who == "all" or role in ("manager", "trainer") else 403
        assert _login(client, user).get(url).status_code == expected, role
    assert _login(client, outsider).get(url).status_code == 404


def test_session_of_another_project_is_404(client, project, other_project, users):
    other_trainer = member(other_project, "trainer")
    session = make_session(make_course(other_project, other_trainer), other_trainer)
    url = reverse("training:session", args=[project.pk, session.pk])
    assert _login(client, users["manager"]).get(url).status_code == 404


def test_other_trainer_cannot_edit_a_session_they_do_not_run(client, project, setup):
    url = reverse("training:session_edit", args=[project.pk, setup["session"].pk])
    assert _login(client, member(project, "trainer")).get(url).status_code == 403


def test_catalogue_full_page_and_htmx_partial_with_filters(client, project, users, setup):
    online = make_session(make_course(project, setup["trainer"], title="Loans"), setup["trainer"], mode="online",
                          starts_in=timedelta(days=5))
    url = reverse("training:catalogue", args=[project.pk])
    _login(client, users["staff"])
    full = client.get(url)
    assert b"<html" in full.content and b'id="catalogue-table"' in full.content
    partial = htmx(client, url, data={"mode": "online"}).content.decode()
    assert "<html" not in partial and 'id="catalogue-table"' in partial
    assert f"session-{online.pk}" in partial and f"session-{setup['session'].pk}" not in partial
    by_course = client.get(url, {"course": setup["course"].pk}).content.decode()
    assert f"session-{setup['session'].pk}" in by_course and f"session-{online.pk}" not in by_course


def test_catalogue_hides_past_sessions_unless_asked(client, project, users, setup):
    past = Session.objects.filter(pk=setup["session"].pk)
    start = timezone.now() - timedelta(days=3)
    past.update(starts_at=start, ends_at=start + timedelta(hours=1), signup_deadline=start)
    url = reverse("training:catalogue", args=[project.pk])
    _login(client, users["staff"])
    assert f"session-{setup['session'].pk}" not in client.get(url).content.decode()
    assert f"session-{setup['session'].pk}" in client.get(url, {"past": "1"}).content.decode()


def test_catalogue_query_count_constant(client, project, users, setup):
    url = reverse("training:catalogue", args=[project.pk])
    _login(client, users["staff"])
    _, few = count_queries(lambda: client.get(url))
    course = setup["course"]
    for i in range(49):
        s = make_session(course, setup["trainer"], starts_in=timedelta(days=4 + i), capacity=1)
        services.enrolment_enrol(actor=users["staff"], session=s)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and response.content.decode().count('id="session-') == 50
    assert few == many


def test_enrol_and_cancel_from_catalogue_with_htmx(client, project, users, setup):
    session = setup["session"]
    _login(client, users["staff"])
    response = client.post(reverse("training:enrol", args=[project.pk, session.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<tr" in body and "<html" not in body and "You have a seat" in body
    assert Enrolment.objects.get(user=users["staff"]).status == "enrolled"
    response = client.post(reverse("training:cancel", args=[project.pk, session.pk]), headers={"HX-Request": "true"})
    assert "Sign up" in response.content.decode()
    assert Enrolment.objects.get(user=users["staff"]).status == "cancelled"


def test_a_boosted_cancel_is_answered_with_the_whole_page_not_a_row(client, project, users, setup):
    """The plain cancel form is boosted so that its confirmation asks first; it must get a page back."""
    session = setup["session"]
    _login(client, users["staff"])
    client.post(reverse("training:enrol", args=[project.pk, session.pk]))
    url = reverse("training:session", args=[project.pk, session.pk])
    response = client.post(reverse("training:cancel", args=[project.pk, session.pk]), {"next": url},
                           headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 302 and response["Location"] == url
    assert Enrolment.objects.get(user=users["staff"]).status == "cancelled"


def test_enrol_after_deadline_from_page_shows_message_and_saves_nothing(client, project, users, setup):
    late = make_session(setup["course"], setup["trainer"], starts_in=timedelta(hours=5),
                        deadline_before=timedelta(days=1))
    _login(client, users["staff"])
    response = client.post(reverse("training:enrol", args=[project.pk, late.pk]), follow=True)
    assert "Sign-up for this session closed" in response.content.decode()
    htmx_response = client.post(reverse("training:enrol", args=[project.pk, late.pk]), headers={"HX-Request": "true"})
    assert "Sign-up for this session closed" in htmx_response.content.decode()
    assert not Enrolment.objects.filter(session=late).exists()


def test_staff_cannot_enrol_someone_else_from_page(client, project, users, setup):
    _login(client, users["staff"])
    response = client.post(reverse("training:enrol", args=[project.pk, setup["session"].pk]),
                           {"user": users["tester"].pk})
    assert response.status_code == 403 and not Enrolment.objects.exists()


def test_trainer_page_roster_waitlist_and_attendance(client, project, users, setup):
    session, trainer = setup["session"], setup["trainer"]
    a, b, c = (member(project, "staff") for _ in range(3))
    for u in (a, b, c):
        services.enrolment_enrol(actor=u, session=session)
    _login(client, trainer)
    url = reverse("training:session", args=[project.pk, session.pk])
    body = client.get(url).content.decode()
    assert a.username in body and c.username in body and "Waitlist" in body
    partial = htmx(client, url).content.decode()
    assert 'id="roster"' in partial and "<html" not in partial
    # Before the start, attendance is refused and nothing changes.
    response = client.post(reverse("training:attendance", args=[project.pk, session.pk]),
                           {f"att-{a.pk}": "attended"}, follow=True)
    assert "once the session has started" in response.content.decode()
    assert Enrolment.objects.get(user=a).status == "enrolled"
    moment = timezone.now() - timedelta(minutes=5)  # the class has begun
    Session.objects.filter(pk=session.pk).update(starts_at=moment, signup_deadline=moment)
    response = client.post(reverse("training:attendance", args=[project.pk, session.pk]),
                           {f"att-{a.pk}": "attended", f"att-{b.pk}": "absent"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="roster"' in response.content.decode()
    assert Enrolment.objects.get(user=a).status == "attended" and Enrolment.objects.get(user=b).status == "absent"


def test_trainer_signs_someone_up_from_session_page(client, project, users, setup):
    _login(client, setup["trainer"])
    response = client.post(reverse("training:enrol", args=[project.pk, setup["session"].pk]),
                           {"user": users["tester"].pk})
    assert response.status_code == 302
    assert Enrolment.objects.get(user=users["tester"]).status == "enrolled"


def test_session_create_and_bad_input(client, project, users, setup):
    _login(client, setup["trainer"])
    url = reverse("training:session_create", args=[project.pk])
    start = timezone.localtime() + timedelta(days=4)
    data = {"course": setup["course"].pk, "mode": "offline", "location": "Room 1", "capacity": 0,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": (start + timedelta(hours=2)).strftime(
                "%Y-%m-%dT%H:%M")}
    before = Session.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400 and "at least one seat" in response.content.decode()
    response = client.post(url, {**data, "capacity": 5, "ends_at": data["starts_at"]})
    assert response.status_code == 400 and "end after it starts" in response.content.decode()
    assert Session.objects.count() == before
    response = client.post(url, {**data, "capacity": 5})
    assert response.status_code == 302
    assert Session.objects.count() == before + 1


def test_session_edit_capacity_below_enrolled_is_refused(client, project, users, setup):
    session = setup["session"]
    for u in (member(project, "staff"), member(project, "staff")):
        services.enrolment_enrol(actor=u, session=session)
    _login(client, setup["trainer"])
    url = reverse("training:session_edit", args=[project.pk, session.pk])
    local = timezone.localtime
    data = {"course": session.course_id, "mode": session.mode, "location": session.location, "capacity": 1,
            "starts_at": local(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": local(session.ends_at).strftime("%Y-%m-%dT%H:%M")}
    response = client.post(url, data)
    assert response.status_code == 400 and "cannot go below" in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 2


def test_course_create_and_duplicate(client, project, users, setup):
    _login(client, setup["trainer"])
    url = reverse("training:courses", args=[project.pk])
    response = client.post(url, {"title": "GL", "duration_minutes": 90, "required_roles": ["staff"]})
    assert response.status_code == 302
    response = client.post(url, {"title": "GL", "duration_minutes": 90})
    assert response.status_code == 400 and "already has a course" in response.content.decode()
    assert _login(client, users["staff"]).post(url, {"title": "X", "duration_minutes": 5}).status_code == 403


def test_material_upload_and_download(client, project, users, setup, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, setup["trainer"])
    course = setup["course"]
    client.post(reverse("training:material_add", args=[project.pk, course.pk]),
                {"title": "Manual", "file": SimpleUploadedFile("manual.pdf", b"%PDF-1.4 demo")})
    material = course.materials.get()
    url = reverse("training:material", args=[project.pk, material.pk])
    response = _login(client, users["staff"]).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 demo"


def test_session_ics_is_a_valid_vevent_in_utc(client, project, users, setup):
    session = setup["session"]
    response = _login(client, users["staff"]).get(reverse("training:session_ics", args=[project.pk, session.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    (event,) = [c for c in cal.walk() if c.name == "VEVENT"]
    assert event.decoded("dtstart") == session.starts_at.astimezone(UTC).replace(microsecond=0)
    assert event.decoded("dtend") == session.ends_at.astimezone(UTC).replace(microsecond=0)
    assert event.decoded("dtstart").tzinfo is not None and event.decoded("dtstart").utcoffset() == timedelta(0)
    assert b"DTSTART:" in response.content and response.content.decode().count("Z\r\n") >= 3
    assert str(event["summary"]) == "Counter basics" and str(event["uid"]).startswith(f"training-session-{session.pk}@")
    assert str(event["location"]) == "Room 302"


def test_personal_feed_by_secret_token(client, project, users, setup):
    staff = users["staff"]
    services.enrolment_enrol(actor=staff, session=setup["session"])
    make_session(setup["course"], setup["trainer"], starts_in=timedelta(days=9))
    token = services.calendar_token_for(user=staff).token
    response = client.get(reverse("training:feed", args=[token]))  # no login: calendar apps cannot log in
    assert response.status_code == 200
    events = [c for c in Calendar.from_ical(response.content).walk() if c.name == "VEVENT"]
    assert [str(e["uid"]).split("@")[0] for e in events] == [f"training-session-{setup['session'].pk}"]
    trainer_feed = client.get(reverse("training:feed", args=[services.calendar_token_for(user=setup["trainer"]).token]))
    assert len([c for c in Calendar.from_ical(trainer_feed.content).walk() if c.name == "VEVENT"]) == 2
    assert client.get(reverse("training:feed", args=["nope"])).status_code == 404
    _login(client, staff).post(reverse("training:calendar_regenerate", args=[project.pk]))
    assert client.get(reverse("training:feed", args=[token])).status_code == 404
    mine = client.get(reverse("training:mine", args=[project.pk])).content.decode()
    assert services.calendar_token_for(user=staff).token in mine


def _coverage_data(project, users, trainer, n):
    for course in project.courses.all():  # only "Basics" is required here
        services.course_update(actor=trainer, course=course, required_roles=[])
    course = make_course(project, trainer, title="Basics", required_roles=["staff"])
    people = [member(project, "staff") for _ in range(n)]
    session = make_session(course, trainer, capacity=n + 1)
    for u in people:
        services.enrolment_enrol(actor=u, session=session)
    services.attendance_record(actor=trainer, session=session, marks={u.pk: "attended" for u in people[::2]},
                               now=session.ends_at)
    return people


def test_coverage_page_exports_and_remind(client, project, users, setup):
    people = _coverage_data(project, users, setup["trainer"], 4)
    _login(client, users["manager"])
    url = reverse("training:coverage", args=[project.pk])
    body = client.get(url).content.decode()
    assert "Required staff trained" in body and people[1].username in body and people[0].username not in body
    partial = htmx(client, url).content.decode()
    assert 'id="untrained"' in partial and "<html" not in partial
    rows = list(csv.reader(io.StringIO(client.get(reverse("training:coverage_export",
                                                          args=[project.pk, "csv"])).content.decode("utf-8-sig"))))
    assert rows[0][0] == "Username" and {r[0] for r in rows[1:]} >= {p.username for p in people}
    xlsx = client.get(reverse("training:coverage_export", args=[project.pk, "xlsx"]))
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["People", "Courses", "Departments"] and wb["Courses"]["A2"].value == "Basics"
    assert client.get(reverse("training:coverage_export", args=[project.pk, "pdf"])).status_code == 404
    client.post(reverse("training:coverage_remind", args=[project.pk]), {"user": people[1].pk})
    assert Notification.objects.filter(kind="training_required").count() == 1
    client.post(reverse("training:coverage_remind", args=[project.pk]))
    untrained = {people[1].pk, people[3].pk, users["staff"].pk}
    assert set(Notification.objects.filter(kind="training_required").values_list("recipient", flat=True)) == untrained
    assert _login(client, users["staff"]).post(reverse("training:coverage_remind", args=[project.pk])).status_code == 403


def test_coverage_query_count_constant(client, project, users, setup):
    _coverage_data(project, users, setup["trainer"], 1)
    _login(client, users["manager"])
    url = reverse("training:coverage", args=[project.pk])
    _, few = count_queries(lambda: client.get(url))
    for _ in range(50):
        member(project, "staff")
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_my_training_lists_todo_upcoming_and_completed(client, project, users, setup):
    staff, trainer = users["staff"], setup["trainer"]
    done = make_course(project, trainer, title="Done course")
    past = make_session(done, trainer, starts_in=timedelta(days=6))
    services.enrolment_enrol(actor=staff, session=past)
    services.attendance_record(actor=trainer, session=past, marks={staff.pk: "attended"}, now=past.ends_at)
    services.enrolment_enrol(actor=staff, session=setup["session"])
    body = _login(client, staff).get(reverse("training:mine", args=[project.pk])).content.decode()
    assert "Done course" in body and "Counter basics" in body and "booked" in body


def test_admin_pages_load(client, project, users, setup):
    from tests.projects.factories import UserFactory

    services.enrolment_enrol(actor=users["staff"], session=setup["session"])
    services.calendar_token_for(user=users["staff"])
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in ("course", "coursematerial", "session", "enrolment", "calendartoken"):
        assert client.get(reverse(f"admin:training_{model}_changelist")).status_code == 200, model
        assert client.get(reverse(f"admin:training_{model}_add")).status_code == 200, model
    assert client.get(reverse("admin:training_session_change", args=[setup["session"].pk])).status_code == 200
    assert client.get(reverse("admin:training_course_history", args=[setup["course"].pk])).status_code == 200


def test_courses_page_query_count_constant(client, project, users, setup):
    url = reverse("training:courses", args=[project.pk])
    _login(client, users["staff"])
    _, few = count_queries(lambda: client.get(url))
    dept = project.departments.create(name="Retail")
    for i in range(49):
        make_course(project, setup["trainer"], title=f"Course {i}", required_departments=[dept])
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_session_roster_and_my_training_query_count_constant(client, project, users, setup):
    session = make_session(setup["course"], setup["trainer"], capacity=60, starts_in=timedelta(days=8))
    services.enrolment_enrol(actor=users["staff"], session=session)
    roster_url = reverse("training:session", args=[project.pk, session.pk])
    mine_url = reverse("training:mine", args=[project.pk])
    _, few_roster = count_queries(lambda: _login(client, setup["trainer"]).get(roster_url))
    _, few_mine = count_queries(lambda: _login(client, users["staff"]).get(mine_url))
    for i in range(49):
        services.enrolment_enrol(actor=member(project, "staff"), session=session)
        course = make_course(project, setup["trainer"], title=f"Extra {i}")
        extra = make_session(course, setup["trainer"], starts_in=timedelta(days=10 + i))
        services.enrolment_enrol(actor=users["staff"], session=extra)
    response, many_roster = count_queries(lambda: _login(client, setup["trainer"]).get(roster_url))
    assert response.status_code == 200 and few_roster == many_roster
    response, many_mine = count_queries(lambda: _login(client, users["staff"]).get(mine_url))
    assert response.status_code == 200 and few_mine == many_mine


def test_material_type_checked_by_content_and_links_must_be_real(client, project, users, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, setup["trainer"])
    course = setup["course"]
    url = reverse("training:material_add", args=[project.pk, course.pk])
    # The page answers with the course page and the reason (post/redirect/get); nothing is stored.
    fake = client.post(url, {"title": "Manual", "file": SimpleUploadedFile("manual.pdf", b"MZ\x90\x00 no pdf")},
                       follow=True)
    exe = client.post(url, {"title": "Tool", "file": SimpleUploadedFile("setup.exe", b"MZ\x90\x00")}, follow=True)
    link = client.post(url, {"title": "Slides", "link": "//evil.example/x"}, follow=True)
    assert "not a PDF file" in fake.content.decode()
    assert "Upload a PDF, Word, PowerPoint" in exe.content.decode()
    assert "A link starts with http://" in link.content.decode()
    assert not course.materials.exists()


# ------------------------------------------------------------------ deleting materials

def _manual(course, actor, title="Manual"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.material_add(actor=actor, course=course, title=title,
                                 file=SimpleUploadedFile("manual.pdf", b"%PDF-1.4 demo"))


def _delete_url(project, material):
    return reverse("training:material_delete", args=[project.pk, material.course_id, material.pk])


def test_course_page_offers_delete_only_to_those_who_manage_courses(client, project, users, setup):
    material = _manual(setup["course"], setup["trainer"])
    url = reverse("training:course", args=[project.pk, setup["course"].pk])
    trainer_page = _login(client, users["trainer"]).get(url).content.decode()
    assert _delete_url(project, material) in trainer_page and "hx-confirm" in trainer_page
    assert 'name="csrfmiddlewaretoken"' in trainer_page  # works without JavaScript too
    assert _delete_url(project, material) not in _login(client, users["staff"]).get(url).content.decode()


def test_material_delete_without_htmx_redirects_with_message(client, project, users, setup,
                                                             django_capture_on_commit_callbacks):
    from pathlib import Path

    course = setup["course"]
    material, kept = _manual(course, setup["trainer"]), _manual(course, setup["trainer"], title="Slides")
    path = Path(material.file.path)
    _login(client, users["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_delete_url(project, material))
    course_url = reverse("training:course", args=[project.pk, course.pk])
    assert response.status_code == 302 and response["Location"] == course_url
    assert list(course.materials.all()) == [kept] and not path.exists() and Path(kept.file.path).exists()
    assert "Material deleted." in client.get(course_url).content.decode()


def test_material_delete_with_htmx_returns_the_materials_partial(client, project, users, setup):
    course = setup["course"]
    material, kept = _manual(course, setup["trainer"]), _manual(course, setup["trainer"], title="Slides")
    response = _login(client, setup["trainer"]).post(_delete_url(project, material), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="materials"' in body and "<html" not in body
    assert "Slides" in body and _delete_url(project, kept) in body and _delete_url(project, material) not in body
    assert "Add material" in body and not course.materials.filter(pk=material.pk).exists()
    last = _delete_url(project, kept)
    body = client.post(last, headers={"HX-Request": "true"}).content.decode()
    assert "No materials yet." in body and not course.materials.exists()


def test_material_delete_permission_matrix(client, project, users, outsider, setup):
    course, trainer = setup["course"], setup["trainer"]
    material = _manual(course, trainer)
    url = _delete_url(project, material)
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role, user in users.items():
        if role in ("manager", "trainer"):
            continue
        assert _login(client, user).post(url).status_code == 403, role
    assert _login(client, outsider).post(url).status_code == 404
    assert _login(client, trainer).get(url).status_code == 405
    assert course.materials.filter(pk=material.pk).exists()  # nothing above removed it
    for role in ("manager", "trainer"):
        material = _manual(course, trainer)
        assert _login(client, users[role]).post(_delete_url(project, material)).status_code == 302, role
        assert not course.materials.filter(pk=material.pk).exists(), role


def test_material_of_another_course_or_project_is_404(client, project, other_project, users, setup):
    trainer = setup["trainer"]
    material = _manual(setup["course"], trainer)
    other_course = make_course(project, trainer, title="Teller close")
    wrong_course = reverse("training:material_delete", args=[project.pk, other_course.pk, material.pk])
    other_trainer = member(other_project, "trainer")
    foreign = _manual(make_course(other_project, other_trainer), other_trainer)
    via_my_project = reverse("training:material_delete", args=[project.pk, foreign.course_id, foreign.pk])
    via_my_course = reverse("training:material_delete", args=[project.pk, setup["course"].pk, foreign.pk])
    _login(client, users["manager"])
    for url in (wrong_course, via_my_project, via_my_course):
        assert client.post(url).status_code == 404, url
    assert setup["course"].materials.filter(pk=material.pk).exists()
    assert foreign.course.materials.filter(pk=foreign.pk).exists()


def test_admin_delete_of_a_material_removes_its_file(client, project, setup, django_capture_on_commit_callbacks):
    from pathlib import Path

    from tests.projects.factories import UserFactory

    material = _manual(setup["course"], setup["trainer"])
    path = Path(material.file.path)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:training_coursematerial_delete", args=[material.pk]), {"post": "yes"})
    assert response.status_code == 302 and not setup["course"].materials.exists() and not path.exists()


def test_admin_inline_removal_of_a_material_removes_its_file(client, project, setup,
                                                             django_capture_on_commit_callbacks):
    from pathlib import Path

    from tests.projects.factories import UserFactory

    course = setup["course"]
    material, kept = _manual(course, setup["trainer"]), _manual(course, setup["trainer"], title="Slides")
    path = Path(material.file.path)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {"project": project.pk, "title": course.title, "description": "", "duration_minutes": 60, "completion": "offline",
            "required_roles": '["staff"]', "materials-TOTAL_FORMS": 2, "materials-INITIAL_FORMS": 2,
            "materials-MIN_NUM_FORMS": 0, "materials-MAX_NUM_FORMS": 1000}
    for i, m in enumerate([kept, material]):  # the inline lists materials by title
        form |= {f"materials-{i}-id": m.pk, f"materials-{i}-course": course.pk, f"materials-{i}-title": m.title,
                 f"materials-{i}-link": ""}
    form["materials-1-DELETE"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:training_course_change", args=[course.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(course.materials.all()) == [kept] and not path.exists() and Path(kept.file.path).exists()


def test_catalogue_shows_completed_badge_instead_of_sign_up(client, project, users, setup):
    staff, trainer, course = users["staff"], setup["trainer"], setup["course"]
    services.enrolment_enrol(actor=staff, session=setup["session"])
    services.attendance_record(actor=trainer, session=setup["session"], marks={staff.pk: "attended"},
                               now=setup["session"].ends_at)
    later = make_session(course, trainer, starts_in=timedelta(days=6))
    other = make_session(make_course(project, trainer, title="Loans"), trainer, starts_in=timedelta(days=7))
    day = timezone.localtime(setup["session"].starts_at).strftime("%Y-%m-%d")
    url = reverse("training:catalogue", args=[project.pk])
    _login(client, staff)
    body = client.get(url).content.decode()
    row = body.split(f'id="session-{later.pk}"')[1].split("</tr>")[0]
    assert f"Completed on {day}" in row
    assert reverse("training:enrol", args=[project.pk, later.pk]) not in body
    assert reverse("training:enrol", args=[project.pk, other.pk]) in body  # other courses: still a sign-up button
    page = client.get(reverse("training:session", args=[project.pk, later.pk])).content.decode()
    assert f"Completed on {day}" in page and reverse("training:enrol", args=[project.pk, later.pk]) not in page
    # Posting anyway (stale page, API) gets the service's answer and saves nothing.
    response = client.post(reverse("training:enrol", args=[project.pk, later.pk]), headers={"HX-Request": "true"})
    assert "no need to take it again" in response.content.decode()
    assert not Enrolment.objects.filter(session=later).exists()
    # Completion lookups ride in the catalogue query: the same count with 2 rows and with 50.
    _, few = count_queries(lambda: client.get(url))
    for i in range(48):
        make_session(course, trainer, starts_in=timedelta(days=8 + i), capacity=1)
    response, many = count_queries(lambda: client.get(url))
    assert response.content.decode().count(f"Completed on {day}") == 50  # every session of the course
    assert few == many


def test_coverage_lists_the_untrained_50_a_page(client, project, users, setup):
    from training.views import COVERAGE_PAGE_SIZE

    _coverage_data(project, users, setup["trainer"], 1)
    for _ in range(COVERAGE_PAGE_SIZE + 2):
        member(project, "staff")
    _login(client, users["manager"])
    url = reverse("training:coverage", args=[project.pk])
    body = client.get(url).content.decode()
    untrained = COVERAGE_PAGE_SIZE + 3  # the new ones, the demo's staff login, and nobody trained among them
    assert f"{untrained} people still untrained" in body and "Page 1 of 2" in body
    table = body[body.index('id="untrained"'):]
    assert table.count('name="user"') == COVERAGE_PAGE_SIZE
    second = htmx(client, url, data={"page": 2}).content.decode()
    assert "<html" not in second and second.count('name="user"') == 3
