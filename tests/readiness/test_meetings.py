"""Meetings with decisions and owned actions: services (members only, one stand-up a day, actions of
the meeting's project), reminders, "my work" items, pages (full and htmx partials), the API
(permission matrix, bad input, constant query counts), m2m history of the attendees."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from projects import hooks
from projects.errors import DomainError
from readiness import selectors, services
from readiness.models import Meeting, MeetingAction, MeetingDecision
from readiness.reminders import actions_due
from tests.projects.factories import member
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db


def minute(project, actor, **kw):
    fields = {"kind": "review", "title": "Weekly review", "held_at": timezone.now(), "notes": "SIT late",
              "attendees": []} | kw
    return services.meeting_create(actor=actor, project=project, **fields)


@pytest.fixture
def meeting(project, users):
    return minute(project, users["manager"], attendees=[users["manager"], users["ops"], users["tester"]])


def give(meeting, users, owner="ops", days=1, text="Restore the backup"):
    return services.action_create(actor=users["manager"], meeting=meeting, text=text, owner=users[owner],
                                  due=timezone.localdate() + timedelta(days=days))


# ----- services ----------------------------------------------------------------------------------

def test_minute_a_meeting_with_attendees_and_history(meeting, users):
    assert set(meeting.attendees.all()) == {users["manager"], users["ops"], users["tester"]}
    services.meeting_update(actor=users["manager"], meeting=meeting, attendees=[users["ops"]])
    assert list(meeting.attendees.all()) == [users["ops"]]
    latest = meeting.history.first()
    assert latest.history_user == users["manager"]
    assert [row.user_id for row in latest.attendees.all()] == [users["ops"].pk]  # the m2m is in the history


def test_attendees_must_be_members_and_nothing_is_saved(project, users, outsider):
    with pytest.raises(DomainError) as exc:
        minute(project, users["manager"], attendees=[users["ops"], outsider])
    assert exc.value.field == "attendees" and not Meeting.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("kind", "party"), ("title", " "), ("title", "x" * 201),
                                              ("held_at", None)])
def test_bad_meeting_is_refused(project, users, field, value):
    with pytest.raises(DomainError) as exc:
        minute(project, users["manager"], **{field: value})
    assert exc.value.field == field and not Meeting.objects.exists()


def test_only_the_manager_minutes(project, users):
    with pytest.raises(DomainError) as exc:
        minute(project, users["ops"])
    assert exc.value.code == "permission"


def test_standup_in_one_step_copies_the_last_attendees_and_is_idempotent(project, users):
    with freeze_time("2026-12-01 01:30"):  # 09:30 in Shanghai
        first, created = services.standup_start(actor=users["manager"], project=project)
        assert created and list(first.attendees.all()) == [users["manager"]]
        services.meeting_update(actor=users["manager"], meeting=first, attendees=[users["manager"], users["developer"]])
        again, created = services.standup_start(actor=users["manager"], project=project)
        assert (again.pk, created) == (first.pk, False)
    with freeze_time("2026-12-02 01:30"):
        second, created = services.standup_start(actor=users["manager"], project=project)
    assert created and second.pk != first.pk and "2026-12-02" in second.title
    assert set(second.attendees.all()) == {users["manager"], users["developer"]}
    with pytest.raises(DomainError):  # a second stand-up on a day that has one
        minute(project, users["manager"], kind="standup", held_at=second.held_at)
    assert Meeting.objects.filter(kind="standup").count() == 2


def test_decisions(meeting, users):
    d = services.meeting_decide(actor=users["manager"], meeting=meeting, text="Rehearsal 2 on Saturday")
    assert list(meeting.decisions.all()) == [d] and d.recorded_by == users["manager"]
    with pytest.raises(DomainError):
        services.meeting_decide(actor=users["manager"], meeting=meeting, text="  ")
    with pytest.raises(DomainError):
        services.meeting_decide(actor=users["ops"], meeting=meeting, text="mine")
    assert MeetingDecision.objects.count() == 1


def test_actions_owner_must_be_a_member_and_due_given(meeting, users, outsider):
    with pytest.raises(DomainError) as exc:
        services.action_create(actor=users["manager"], meeting=meeting, text="x", owner=outsider,
                               due=timezone.localdate())
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        services.action_create(actor=users["manager"], meeting=meeting, text="x", owner=users["ops"], due=None)
    assert exc.value.field == "due"
    assert not MeetingAction.objects.exists()


def test_owner_marks_done_others_may_not(meeting, users):
    action = give(meeting, users)
    assert action.project_id == meeting.project_id
    with pytest.raises(DomainError):
        services.action_set_status(actor=users["tester"], action=action, status="done")
    services.action_set_status(actor=users["ops"], action=action, status="done")
    action.refresh_from_db()
    assert action.status == "done" and action.done_at is not None
    services.action_set_status(actor=users["manager"], action=action, status="open")
    action.refresh_from_db()
    assert (action.status, action.done_at) == ("open", None)
    with pytest.raises(DomainError):
        services.action_set_status(actor=users["ops"], action=action, status="later")


def test_action_reminders(meeting, users):
    with freeze_time("2026-12-01 02:00"):
        soon = give(meeting, users, days=1)
        give(meeting, users, days=5)
        late = give(meeting, users, owner="tester", days=-2)
        done = give(meeting, users, days=0)
        services.action_set_status(actor=users["ops"], action=done, status="done")
        found = {r.subject.pk: r for r in actions_due(now=timezone.now())}
    assert set(found) == {soon.pk, late.pk}
    assert found[late.pk].recipient == users["tester"] and "was due" in str(found[late.pk].message)
    assert found[soon.pk].dedupe_key == f"action_due:{soon.pk}:{soon.due:%Y%m%d}"


def test_my_work_lists_my_actions_and_risk_reviews(project, meeting, users):
    a = give(meeting, users, days=3)
    give(meeting, users, owner="tester")
    risk = services.risk_create(actor=users["manager"], project=project, title="Network", category="network",
                                likelihood=2, impact=2, owner=users["ops"], review_on=timezone.localdate())
    items = hooks.my_work(users["ops"], project)
    assert [(i["kind"], i["id"]) for i in items] == [("risk_to_review", risk.pk), ("action_due", a.pk)]
    assert items[1]["url"].endswith(f"#action-{a.pk}")
    assert hooks.my_work(users["staff"], project) == []


# ----- pages -------------------------------------------------------------------------------------

def test_pages_permission_matrix(client, project, users, outsider, meeting):
    urls = [reverse("readiness:meetings", args=[project.pk]), reverse("readiness:meeting", args=[project.pk, meeting.pk])]
    for url in urls:
        assert client.get(url).status_code == 302
    for role in users:
        client.force_login(users[role])
        assert all(client.get(url).status_code == 200 for url in urls), role
    client.force_login(outsider)
    assert all(client.get(url).status_code == 404 for url in urls)
    client.force_login(users["ops"])
    assert client.post(reverse("readiness:standup_start", args=[project.pk])).status_code == 403
    assert client.post(urls[0], {"kind": "review", "title": "x", "held_at": "2026-12-01T10:00"}).status_code == 403


def test_meeting_list_full_and_partial(client, project, users, meeting):
    minute(project, users["manager"], kind="retro", title="Rehearsal 1 retro")
    client.force_login(users["ops"])
    url = reverse("readiness:meetings", args=[project.pk])
    full = client.get(url).content.decode()
    assert "<html" in full and "Weekly review" in full and "My actions" in full
    part = htmx(client, url + "?kind=retro").content.decode()
    assert "<html" not in part and "Rehearsal 1 retro" in part and "Weekly review" not in part


def test_manager_minutes_on_the_page_bad_attendee_is_400(client, project, users, outsider):
    client.force_login(users["manager"])
    url = reverse("readiness:meetings", args=[project.pk])
    data = {"kind": "cutover", "title": "Cutover briefing", "held_at": "2026-12-01T18:00",
            "attendees": f"{users['ops'].username}, {outsider.username}"}
    bad = client.post(url, data)
    assert bad.status_code == 400 and "Not members of this project" in bad.content.decode()
    assert not Meeting.objects.exists()
    ok = client.post(url, data | {"attendees": f"{users['ops'].username}\n{users['developer'].username}"})
    m = Meeting.objects.get()
    assert ok.status_code == 302 and set(m.attendees.all()) == {users["ops"], users["developer"]}


def test_standup_button(client, project, users):
    client.force_login(users["manager"])
    url = reverse("readiness:standup_start", args=[project.pk])
    first, second = client.post(url), client.post(url)
    m = Meeting.objects.get()
    assert first.url == second.url == reverse("readiness:meeting", args=[project.pk, m.pk])


def test_actions_on_the_meeting_page_with_htmx(client, project, users, meeting):
    client.force_login(users["manager"])
    url = reverse("readiness:meeting_action_new", args=[project.pk, meeting.pk])
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    bad = client.post(url, {"text": "Call the vendor", "owner": "nobody", "due": due})
    assert bad.status_code == 400 and not MeetingAction.objects.exists()
    part = client.post(url, {"text": "Call the vendor", "owner": users["ops"].username, "due": due},
                       headers={"HX-Request": "true"}).content.decode()
    action = MeetingAction.objects.get()
    assert 'id="actions"' in part and "<html" not in part and "Call the vendor" in part
    client.force_login(users["ops"])
    status_url = reverse("readiness:meeting_action_status", args=[project.pk, action.pk])
    assert client.post(status_url, {"status": "done"}, headers={"HX-Request": "true"}).status_code == 200
    assert MeetingAction.objects.get().status == "done"
    client.force_login(users["tester"])
    assert client.post(status_url, {"status": "open"}).status_code == 403


def test_decision_on_the_page(client, project, users, meeting):
    client.force_login(users["manager"])
    url = reverse("readiness:meeting_decide", args=[project.pk, meeting.pk])
    assert client.post(url, {"text": ""}).status_code == 400
    assert client.post(url, {"text": "Go ahead"}).status_code == 302
    assert "Go ahead" in client.get(reverse("readiness:meeting", args=[project.pk, meeting.pk])).content.decode()


def test_pages_query_counts_are_constant(client, project, users):
    client.force_login(users["manager"])
    m = minute(project, users["manager"], attendees=[users["ops"]])
    give(m, users)
    list_url = reverse("readiness:meetings", args=[project.pk])
    page_url = reverse("readiness:meeting", args=[project.pk, m.pk])
    _, list_one = count_queries(lambda: client.get(list_url))
    _, page_one = count_queries(lambda: client.get(page_url))
    for i in range(49):
        other = minute(project, users["manager"], title=f"Review {i}", attendees=[users["ops"], users["developer"]])
        give(other, users)
        give(m, users, owner="tester" if i % 2 else "ops", text=f"Action {i}")
        services.meeting_decide(actor=users["manager"], meeting=m, text=f"Decision {i}")
    _, list_fifty = count_queries(lambda: client.get(list_url))
    _, page_fifty = count_queries(lambda: client.get(page_url))
    assert (list_one, page_one) == (list_fifty, page_fifty)


# ----- API ---------------------------------------------------------------------------------------

def test_api_meeting_create_read_update(project, users):
    client = api_as(users["manager"])
    r = client.post("/api/v1/meetings/", {"project": project.pk, "kind": "standup", "title": "Stand-up",
                                          "held_at": timezone.now().isoformat(),
                                          "attendees": [users["ops"].pk, users["developer"].pk]}, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["attendees"] == sorted([users["ops"].pk, users["developer"].pk]) and data["decisions"] == []
    r = client.patch(f"/api/v1/meetings/{data['id']}/", {"notes": "All green"}, format="json")
    assert r.status_code == 200 and r.json()["notes"] == "All green"
    assert client.post(f"/api/v1/meetings/{data['id']}/decisions/", {"text": "Go"}, format="json").status_code == 201
    again = client.post("/api/v1/meetings/standup/", {"project": project.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]  # today's stand-up exists
    listed = api_as(users["staff"]).get(f"/api/v1/meetings/?project={project.pk}").json()
    assert listed["count"] == 1 and listed["results"][0]["decisions"][0]["text"] == "Go"


def test_api_meetings_permission_matrix(project, users, outsider, meeting):
    body = {"project": project.pk, "kind": "review", "title": "x", "held_at": timezone.now().isoformat()}
    assert api_as().get("/api/v1/meetings/").status_code in (401, 403)
    assert api_as(users["ops"]).post("/api/v1/meetings/", body, format="json").status_code == 403
    assert api_as(outsider).post("/api/v1/meetings/", body, format="json").status_code == 404
    assert api_as(outsider).get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert api_as(outsider).get(f"/api/v1/meetings/?project={project.pk}").status_code == 404
    assert api_as(users["ops"]).patch(f"/api/v1/meetings/{meeting.pk}/", {"notes": "x"},
                                      format="json").status_code == 403
    assert api_as(users["manager"]).delete(f"/api/v1/meetings/{meeting.pk}/").status_code == 405


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "party"}, "kind"), ({"attendees": [999999]}, "attendees"), ({"attendees": ["x"]}, "attendees"),
    ({"held_at": "tomorrow"}, "held_at"), ({"title": "x" * 201}, "title"), ({"project": "x"}, "project")])
def test_api_meeting_bad_input(project, users, change, field):
    body = {"project": project.pk, "kind": "review", "title": "x", "held_at": timezone.now().isoformat()} | change
    r = api_as(users["manager"]).post("/api/v1/meetings/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not Meeting.objects.exists()


def test_api_attendee_not_a_member_is_400(project, users, outsider):
    r = api_as(users["manager"]).post("/api/v1/meetings/", {
        "project": project.pk, "kind": "review", "title": "x", "held_at": timezone.now().isoformat(),
        "attendees": [outsider.pk]}, format="json")
    assert r.status_code == 400 and "attendees" in r.json() and not Meeting.objects.exists()


def test_api_actions(project, users, meeting):
    client = api_as(users["manager"])
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    r = client.post("/api/v1/meeting-actions/", {"meeting": meeting.pk, "text": "Call the vendor",
                                                 "owner": users["ops"].pk, "due": due}, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert (data["status"], data["project"], data["owner"]) == ("open", project.pk, users["ops"].pk)
    ops = api_as(users["ops"])
    assert ops.patch(f"/api/v1/meeting-actions/{data['id']}/", {"text": "mine now"}, format="json").status_code == 403
    r = ops.patch(f"/api/v1/meeting-actions/{data['id']}/", {"status": "done"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["done_at"]
    assert api_as(users["tester"]).patch(f"/api/v1/meeting-actions/{data['id']}/", {"status": "open"},
                                         format="json").status_code == 403
    mine = ops.get(f"/api/v1/meeting-actions/?project={project.pk}&owner={users['ops'].pk}&status=done").json()
    assert mine["count"] == 1


def test_api_action_for_a_meeting_of_another_project(project, other_project, users, outsider):
    foreign = minute(other_project, outsider)
    due = timezone.localdate().isoformat()
    body = {"meeting": foreign.pk, "text": "x", "owner": users["ops"].pk, "due": due}
    assert api_as(users["manager"]).post("/api/v1/meeting-actions/", body, format="json").status_code == 404
    member(other_project, "manager", user=users["manager"])  # now a manager of both projects
    r = api_as(users["manager"]).post("/api/v1/meeting-actions/", body | {"project": project.pk}, format="json")
    assert r.status_code == 400 and "meeting" in r.json()
    r = api_as(users["manager"]).post("/api/v1/meeting-actions/", body, format="json")  # ops is not in that project
    assert r.status_code == 400 and "owner" in r.json()
    assert not MeetingAction.objects.exists()


@pytest.mark.parametrize(("change", "field"), [({"owner": 999999}, "owner"), ({"due": "soon"}, "due"),
                                               ({"meeting": "abc"}, "meeting"), ({"text": "x" * 501}, "text"),
                                               ({"status": "later"}, "status")])
def test_api_action_bad_input(meeting, users, change, field):
    body = {"meeting": meeting.pk, "text": "x", "owner": users["ops"].pk, "due": timezone.localdate().isoformat()}
    r = api_as(users["manager"]).post("/api/v1/meeting-actions/", body | change, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not MeetingAction.objects.exists()


def test_api_patch_is_all_or_nothing(meeting, users):
    action = give(meeting, users)
    r = api_as(users["manager"]).patch(f"/api/v1/meeting-actions/{action.pk}/", {"text": "changed",
                                                                                   "status": "later"}, format="json")
    assert r.status_code == 400
    assert MeetingAction.objects.get().text == "Restore the backup"


def test_api_lists_query_counts_are_constant(project, users):
    client = api_as(users["manager"])
    m = minute(project, users["manager"], attendees=[users["ops"]])
    give(m, users)
    _, meetings_one = count_queries(lambda: client.get(f"/api/v1/meetings/?project={project.pk}"))
    _, actions_one = count_queries(lambda: client.get(f"/api/v1/meeting-actions/?project={project.pk}"))
    for i in range(49):
        other = minute(project, users["manager"], title=f"R{i}", attendees=[users["ops"], users["developer"]])
        services.meeting_decide(actor=users["manager"], meeting=other, text="d")
        give(other, users)
    _, meetings_fifty = count_queries(lambda: client.get(f"/api/v1/meetings/?project={project.pk}&page_size=100"))
    _, actions_fifty = count_queries(lambda: client.get(f"/api/v1/meeting-actions/?project={project.pk}&page_size=100"))
    assert (meetings_one, actions_one) == (meetings_fifty, actions_fifty)


def test_selector_actions_for_project(project, users, meeting):
    a = give(meeting, users, days=2)
    b = give(meeting, users, owner="tester", days=1)
    assert list(selectors.actions_for_project(project=project)) == [b, a]
    assert list(selectors.actions_for_project(project=project, owner=users["ops"])) == [a]
