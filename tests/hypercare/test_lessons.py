"""Lessons learned: retrospective items with votes, actions with owner and due date, report, API, reminders."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from hypercare import selectors as lesson_selectors
from hypercare import services as lessons
from hypercare.models import Lesson, LessonAction, LessonVote
from hypercare.reminders import ACTION_DUE, lesson_actions_due
from projects.errors import DomainError
from tests.projects.factories import UserFactory
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(project, users):
    return lessons.lesson_create(actor=users["staff"], project=project, kind="went_wrong",
                                 text="Migration ran 3 h over")


def _action(project, owner, days=5, **kw):
    return lessons.lesson_action_create(actor=None, project=project, title="Pre-cleanse the customer table",
                                        owner=owner, due_date=timezone.localdate() + timedelta(days=days), **kw)


# ----- services ------------------------------------------------------------------------------


def test_create_and_bad_input(project, users):
    lesson = lessons.lesson_create(actor=users["staff"], project=project, kind="idea", text="  Freeze earlier  ")
    assert lesson.text == "Freeze earlier" and lesson.author == users["staff"]
    assert lesson.history.first().history_user == users["staff"]
    for kind, text, field in [("meh", "x", "kind"), ("idea", "   ", "text"), ("idea", "x" * 2001, "text")]:
        with pytest.raises(DomainError) as exc:
            lessons.lesson_create(actor=users["staff"], project=project, kind=kind, text=text)
        assert exc.value.field == field
    assert Lesson.objects.count() == 1


def test_votes_toggle_once_per_person(item, users):
    assert lessons.lesson_vote(actor=users["tester"], lesson=item) is True
    assert lessons.lesson_vote(actor=users["tester"], lesson=item, vote=True) is True
    lessons.lesson_vote(actor=users["ops"], lesson=item)
    assert LessonVote.objects.filter(lesson=item).count() == 2
    assert lessons.lesson_vote(actor=users["tester"], lesson=item) is False
    voted = lesson_selectors.lessons_for(project=item.project, user=users["ops"]).get()
    assert voted.vote_count == 1 and voted.voted


def test_actions_with_owner_and_due_date(project, users, item, other_project):
    action = _action(project, users["ops"], lesson=item)
    assert action.status == "open" and action.lesson == item
    with pytest.raises(DomainError) as exc:
        _action(project, UserFactory())
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        _action(project, users["ops"], days=-1)
    assert exc.value.field == "due_date"
    foreign = lessons.lesson_create(actor=None, project=other_project, kind="idea", text="elsewhere")
    with pytest.raises(DomainError) as exc:
        _action(project, users["ops"], lesson=foreign)
    assert exc.value.field == "lesson"
    lessons.lesson_action_complete(actor=users["ops"], action=action)
    action.refresh_from_db()
    assert action.status == "done" and action.done_at is not None
    lessons.lesson_action_update(actor=users["ops"], action=action, status="open")
    action.refresh_from_db()
    assert action.done_at is None
    assert LessonAction.objects.count() == 1


# ----- pages ---------------------------------------------------------------------------------


def test_pages_permission_matrix(client, project, users, outsider, item):
    for name in ["hypercare:lessons", "hypercare:lessons_report"]:
        url = reverse(name, args=[project.pk])
        client.logout()
        assert client.get(url).status_code == 302
        for role, user in users.items():
            client.force_login(user)
            assert client.get(url).status_code == 200, (name, role)
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_any_member_adds_and_votes(client, project, users, outsider, item):
    client.force_login(users["staff"])
    response = client.post(reverse("hypercare:lesson_add", args=[project.pk]), {"kind": "went_well", "text": "Stand-ups"})
    assert response.status_code == 302 and Lesson.objects.filter(text="Stand-ups").exists()
    bad = client.post(reverse("hypercare:lesson_add", args=[project.pk]), {"kind": "went_well", "text": ""})
    assert bad.status_code == 400 and Lesson.objects.count() == 2
    vote = client.post(reverse("hypercare:lesson_vote", args=[project.pk, item.pk]), headers={"HX-Request": "true"})
    body = vote.content.decode()
    assert vote.status_code == 200 and "<html" not in body and f'id="lesson-{item.pk}"' in body and "voted" in body
    client.force_login(outsider)
    assert client.post(reverse("hypercare:lesson_vote", args=[project.pk, item.pk])).status_code == 404
    assert LessonVote.objects.count() == 1


def test_board_htmx_partial(client, project, users, item):
    client.force_login(users["tester"])
    body = htmx(client, reverse("hypercare:lessons", args=[project.pk])).content.decode()
    assert "<html" not in body and 'id="board"' in body and "Migration ran 3 h over" in body


def test_only_managers_add_actions_and_owners_complete_them(client, project, users, item):
    url = reverse("hypercare:lesson_action_add", args=[project.pk])
    data = {"title": "Re-time migration", "owner": users["ops"].pk,
            "due_date": (timezone.localdate() + timedelta(days=3)).isoformat(), "lesson": item.pk}
    client.force_login(users["ops"])
    assert client.post(url, data).status_code == 403
    client.force_login(users["manager"])
    assert client.post(url, {**data, "due_date": "2000-01-01"}).status_code == 400
    assert client.post(url, data).status_code == 302
    action = LessonAction.objects.get()
    status_url = reverse("hypercare:lesson_action_status", args=[project.pk, action.pk])
    client.force_login(users["tester"])
    assert client.post(status_url, {"status": "done"}).status_code == 403
    client.force_login(users["ops"])
    assert client.post(status_url, {"status": "done"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "done"


def test_delete_by_author_or_manager_only(client, project, users, item):
    url = reverse("hypercare:lesson_delete", args=[project.pk, item.pk])
    client.force_login(users["tester"])
    assert client.post(url).status_code == 403
    client.force_login(users["staff"])  # the author
    assert client.post(url).status_code == 302
    assert not Lesson.objects.exists()


def test_report_content(client, project, users, item):
    lessons.lesson_vote(actor=users["ops"], lesson=item)
    _action(project, users["ops"], lesson=item)
    late = _action(project, users["dev"] if "dev" in users else users["developer"])
    lessons.lesson_action_update(actor=None, action=late, due_date=timezone.localdate() - timedelta(days=1))
    client.force_login(users["business"])
    body = client.get(reverse("hypercare:lessons_report", args=[project.pk])).content.decode()
    assert "Lessons learned report" in body and "Migration ran 3 h over" in body and "1 vote" in body
    assert "Pre-cleanse the customer table" in body and "overdue" in body and "hypercare.css" in body


def test_page_query_count_constant(client, project, users):
    client.force_login(users["manager"])
    url = reverse("hypercare:lessons", args=[project.pk])

    def add(n):
        for i in range(n):
            lesson = lessons.lesson_create(actor=users["staff"], project=project, kind="idea", text=f"Idea {i}")
            lessons.lesson_vote(actor=users["tester"], lesson=lesson)
            _action(project, users["ops"], lesson=lesson)

    add(1)
    _, few = count_queries(lambda: client.get(url))
    add(49)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


# ----- API -----------------------------------------------------------------------------------


def test_api_lessons_create_list_vote(project, users, outsider):
    staff = api_as(users["staff"])
    created = staff.post("/api/v1/lessons/", {"project": project.pk, "kind": "went_well", "text": "Good rehearsal"},
                         format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "went_well" and body["author"] == users["staff"].pk and body["votes"] == 0
    voted = api_as(users["ops"]).post(f"/api/v1/lessons/{body['id']}/vote/", {}, format="json").json()
    assert voted["votes"] == 1 and voted["voted"] is True
    listing = staff.get(f"/api/v1/lessons/?project={project.pk}").json()
    assert listing["count"] == 1 and listing["results"][0]["votes"] == 1
    assert api_as(outsider).get(f"/api/v1/lessons/?project={project.pk}").status_code == 404
    assert api_as(outsider).get(f"/api/v1/lessons/{body['id']}/").status_code == 404
    assert api_as(outsider).post("/api/v1/lessons/", {"project": project.pk, "kind": "idea", "text": "x"},
                                 format="json").status_code == 404
    assert api_as(None).get("/api/v1/lessons/").status_code == 401


def test_api_lessons_bad_input_and_edit_rights(project, users, item):
    bad = api_as(users["staff"]).post("/api/v1/lessons/", {"project": project.pk, "kind": "meh", "text": "x"},
                                      format="json")
    assert bad.status_code == 400 and "kind" in bad.json()
    blank = api_as(users["staff"]).post("/api/v1/lessons/", {"project": project.pk, "kind": "idea", "text": " "},
                                        format="json")
    assert blank.status_code == 400 and blank.json()["detail"]
    assert Lesson.objects.count() == 1
    assert api_as(users["tester"]).patch(f"/api/v1/lessons/{item.pk}/", {"text": "mine now"},
                                         format="json").status_code == 403
    assert api_as(users["staff"]).patch(f"/api/v1/lessons/{item.pk}/", {"text": "Migration ran 4 h over"},
                                        format="json").status_code == 200


def test_api_lesson_actions(project, users, outsider, item):
    due = (timezone.localdate() + timedelta(days=4)).isoformat()
    data = {"project": project.pk, "title": "Re-time migration", "owner": users["ops"].pk, "due_date": due,
            "lesson": item.pk}
    assert api_as(users["ops"]).post("/api/v1/lesson-actions/", data, format="json").status_code == 403
    bad = api_as(users["manager"]).post("/api/v1/lesson-actions/", {**data, "owner": outsider.pk}, format="json")
    assert bad.status_code == 400 and "owner" in bad.json()
    created = api_as(users["manager"]).post("/api/v1/lesson-actions/", data, format="json")
    assert created.status_code == 201 and created.json()["status"] == "open"
    pk = created.json()["id"]
    assert api_as(users["tester"]).patch(f"/api/v1/lesson-actions/{pk}/", {"status": "done"},
                                         format="json").status_code == 403
    done = api_as(users["ops"]).patch(f"/api/v1/lesson-actions/{pk}/", {"status": "done"}, format="json")
    assert done.status_code == 200 and done.json()["done_at"]
    assert api_as(users["ops"]).patch(f"/api/v1/lesson-actions/{pk}/", {"title": "x"}, format="json").status_code == 403
    assert api_as(outsider).get(f"/api/v1/lesson-actions/?project={project.pk}").status_code == 404


@pytest.mark.parametrize("endpoint", ["/api/v1/lessons/", "/api/v1/lesson-actions/"])
def test_list_api_query_count_constant(project, users, endpoint):
    client = api_as(users["manager"])
    url = f"{endpoint}?project={project.pk}&page_size=100"

    def add(n):
        for i in range(n):
            lesson = lessons.lesson_create(actor=users["staff"], project=project, kind="idea", text=f"Idea {i}")
            lessons.lesson_vote(actor=users["tester"], lesson=lesson)
            _action(project, users["ops"], lesson=lesson)

    add(1)
    _, few = count_queries(lambda: client.get(url))
    add(49)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and response.json()["count"] == 50 and few == many


# ----- reminders -----------------------------------------------------------------------------


def test_reminder_rule_for_due_and_overdue_actions(project, users):
    from notifications.registry import rules

    assert ACTION_DUE in rules()
    today = timezone.localdate()
    soon = _action(project, users["ops"], days=1)
    _action(project, users["ops"], days=30)  # not due yet
    done = _action(project, users["ops"], days=1)
    lessons.lesson_action_complete(actor=None, action=done)
    reminders = list(lesson_actions_due(now=timezone.now()))
    assert [r.subject.pk for r in reminders] == [soon.pk]
    assert reminders[0].recipient == users["ops"].pk and "due on" in str(reminders[0].message)
    with freeze_time(today + timedelta(days=3)):
        later = list(lesson_actions_due(now=timezone.now()))
    overdue = next(r for r in later if r.subject.pk == soon.pk)
    assert "overdue" in str(overdue.message) and overdue.dedupe_key != reminders[0].dedupe_key


def test_reminder_sweep_tells_the_owner_once(project, users):
    from notifications.models import Notification
    from notifications.services import sweep

    _action(project, users["ops"], days=1)
    sweep(enqueue=False, kinds=[ACTION_DUE])
    sweep(enqueue=False, kinds=[ACTION_DUE])
    assert Notification.objects.filter(kind=ACTION_DUE, recipient=users["ops"]).count() == 1


def test_api_lesson_action_patch_with_a_non_object_body_is_400(project, users, item):
    action = _action(project, users["ops"])
    client = api_as(users["manager"])
    for body in ([1, 2], "text"):
        response = client.patch(f"/api/v1/lesson-actions/{action.pk}/", body, format="json")
        assert response.status_code == 400 and response.json()["detail"]
