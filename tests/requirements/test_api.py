import pytest

from requirements.models import Requirement, RequirementConflict, RequirementReview, SurveyResponse
from tests.projects.factories import member
from tests.utils import api_as, count_queries

from .factories import approved, good_answers, interview_round, questionnaire, requirement, submitted

pytestmark = pytest.mark.django_db

BASE = "/api/v1/requirements/"
WRITERS = {"manager", "business"}


def test_create_assigns_code_and_draft(project, users):
    response = api_as(users["business"]).post(BASE, {"project": project.pk, "title": "Passbook printing",
                                                     "description": "d", "priority": "must"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["code"] == "REQ-001" and response.data["status"] == "draft"
    assert response.data["author"] == users["business"].pk and isinstance(response.data["id"], int)
    second = api_as(users["manager"]).post(BASE, {"project": project.pk, "title": "Second", "priority": "could",
                                                  "description": ""}, format="json")
    assert second.data["code"] == "REQ-002"


def test_create_ignores_client_supplied_code_and_status(project, users):
    response = api_as(users["business"]).post(BASE, {"project": project.pk, "title": "X", "priority": "must",
                                                     "description": "", "code": "REQ-999",
                                                     "status": "approved"}, format="json")
    assert response.data["code"] == "REQ-001" and response.data["status"] == "draft"


@pytest.mark.parametrize("body,field", [
    ({"title": "X", "priority": "urgent"}, "priority"),
    ({"title": "", "priority": "must"}, "title"),
    ({"priority": "must"}, "title"),
])
def test_create_bad_input_400_with_message_nothing_saved(project, users, body, field):
    response = api_as(users["business"]).post(BASE, {"project": project.pk, "description": "", **body},
                                              format="json")
    assert response.status_code == 400
    assert field in response.data and response.data["detail"]
    assert not Requirement.objects.exists()


def test_unknown_priority_message_lists_choices(project, users):
    response = api_as(users["business"]).post(BASE, {"project": project.pk, "title": "X", "priority": "urgent",
                                                     "description": ""}, format="json")
    assert "must, should, could, wont" in response.data["detail"]


def test_department_of_another_project_is_refused(project, other_project, users):
    from tests.projects.factories import DepartmentFactory

    response = api_as(users["business"]).post(BASE, {"project": project.pk, "title": "X", "priority": "must",
                                                     "description": "",
                                                     "department": DepartmentFactory(project=other_project).pk},
                                              format="json")
    assert response.status_code == 400 and "department" in response.data
    assert not Requirement.objects.exists()


def test_create_permission_matrix(project, users, outsider):
    body = {"project": project.pk, "title": "X", "priority": "must", "description": ""}
    assert api_as().post(BASE, body, format="json").status_code == 401
    for role, user in users.items():
        expected = 201 if role in WRITERS else 403
        assert api_as(user).post(BASE, body, format="json").status_code == expected, role
    assert api_as(outsider).post(BASE, body, format="json").status_code == 404


def test_read_permission_matrix(project, users, outsider):
    r = requirement(project)
    assert api_as().get(BASE).status_code == 401
    for role, user in users.items():
        assert api_as(user).get(f"{BASE}{r.pk}/").status_code == 200, role
        listed = api_as(user).get(BASE, {"project": project.pk})
        assert listed.status_code == 200 and listed.data["count"] == 1, role
    assert api_as(outsider).get(f"{BASE}{r.pk}/").status_code == 404
    assert api_as(outsider).get(BASE, {"project": project.pk}).status_code == 404
    assert api_as(outsider).get(BASE).data["count"] == 0


def test_detail_has_versions_and_reviews(project, users):
    r = approved(project, author=users["business"])
    data = api_as(users["staff"]).get(f"{BASE}{r.pk}/").data
    assert [v["number"] for v in data["versions"]] == [1]
    assert data["reviews"][0]["decision"] == "approved" and data["reviews"][0]["version"] == 1


def test_actions_full_cycle(project, users):
    author, reviewer = users["business"], users["manager"]
    r = requirement(project, author=author)
    client = api_as(author)
    response = client.post(f"{BASE}{r.pk}/submit/", {}, format="json")
    assert response.status_code == 200 and response.data["status"] == "submitted"
    # four-eyes: the author cannot approve
    response = client.post(f"{BASE}{r.pk}/approve/", {}, format="json")
    assert response.status_code == 400 and "four-eyes" in response.data["detail"]
    response = api_as(reviewer).post(f"{BASE}{r.pk}/request-changes/", {"comment": "Add numbers"}, format="json")
    assert response.data["status"] == "changes_requested"
    response = client.patch(f"{BASE}{r.pk}/", {"acceptance_criteria": "Within 1 s"}, format="json")
    assert response.status_code == 200 and response.data["version"] == 2
    client.post(f"{BASE}{r.pk}/submit/", {}, format="json")
    response = api_as(reviewer).post(f"{BASE}{r.pk}/approve/", {"comment": ""}, format="json")
    assert response.data["status"] == "approved"
    response = client.patch(f"{BASE}{r.pk}/", {"title": "Changed after approval"}, format="json")
    assert response.data["status"] == "draft" and response.data["version"] == 3


@pytest.mark.parametrize("state_setup,action,body", [
    ("draft", "approve", {}),
    ("approved", "submit", {}),
    ("submitted", "reject", {"comment": ""}),
    ("submitted", "request-changes", {}),
])
def test_bad_transitions_400_nothing_saved(project, users, state_setup, action, body):
    if state_setup == "draft":
        r = requirement(project, author=users["business"])
    elif state_setup == "submitted":
        r = submitted(project, author=users["business"])
    else:
        r = approved(project, author=users["business"])
    before = (r.status, RequirementReview.objects.count())
    response = api_as(users["manager"]).post(f"{BASE}{r.pk}/{action}/", body, format="json")
    assert response.status_code == 400 and response.data["detail"]
    r.refresh_from_db()
    assert (r.status, RequirementReview.objects.count()) == before


@pytest.mark.parametrize("action", ["submit", "approve", "reject", "request-changes"])
def test_action_permission_matrix(project, users, outsider, action):
    r = submitted(project) if action != "submit" else requirement(project)
    url = f"{BASE}{r.pk}/{action}/"
    assert api_as().post(url, {"comment": "c"}, format="json").status_code == 401
    assert api_as(outsider).post(url, {"comment": "c"}, format="json").status_code == 404
    for role in ("tester", "staff", "developer", "ops", "trainer"):
        assert api_as(users[role]).post(url, {"comment": "c"}, format="json").status_code == 403, role
    assert api_as(users["manager"]).post(url, {"comment": "c"}, format="json").status_code == 200


def test_reviewer_from_another_project_gets_404(project, other_project):
    r = submitted(project)
    stranger = member(other_project, "business")
    assert api_as(stranger).post(f"{BASE}{r.pk}/approve/", {}, format="json").status_code == 404
    r.refresh_from_db()
    assert r.status == "submitted"


def test_edit_permission_and_no_delete(project, users):
    r = requirement(project)
    assert api_as(users["tester"]).patch(f"{BASE}{r.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api_as(users["manager"]).delete(f"{BASE}{r.pk}/").status_code == 405


def test_list_filters(project, users):
    requirement(project, priority="must")
    submitted(project, priority="could")
    client = api_as(users["staff"])
    assert client.get(BASE, {"project": project.pk, "status": "submitted"}).data["count"] == 1
    assert client.get(BASE, {"project": project.pk, "priority": "must"}).data["count"] == 1


def test_list_query_count_constant(project, users):
    client = api_as(users["manager"])
    requirement(project)
    _, few = count_queries(lambda: client.get(BASE, {"project": project.pk, "page_size": 100}))
    author = member(project, "business")
    for i in range(49):
        requirement(project, author=author, title=f"R{i}")
    response, many = count_queries(lambda: client.get(BASE, {"project": project.pk, "page_size": 100}))
    assert response.data["count"] == 50 and few == many


# --------------------------------------------------------------------------- conflicts

def test_conflicts_api(project, users, outsider):
    a, b = requirement(project), requirement(project)
    url = "/api/v1/requirement-conflicts/"
    assert api_as(users["tester"]).post(url, {"first": a.pk, "second": b.pk, "note": "x"},
                                        format="json").status_code == 403
    assert api_as(outsider).post(url, {"first": a.pk, "second": b.pk, "note": "x"}, format="json").status_code == 404
    response = api_as(users["business"]).post(url, {"first": a.pk, "second": b.pk, "note": "Limits differ"},
                                              format="json")
    assert response.status_code == 201 and response.data["status"] == "open"
    again = api_as(users["business"]).post(url, {"first": b.pk, "second": a.pk, "note": "dup"}, format="json")
    assert again.status_code == 400
    cid = response.data["id"]
    assert api_as(users["business"]).post(f"{url}{cid}/resolve/", {"resolution": ""},
                                          format="json").status_code == 400
    resolved = api_as(users["business"]).post(f"{url}{cid}/resolve/", {"resolution": "Agreed"}, format="json")
    assert resolved.data["status"] == "resolved"
    assert RequirementConflict.objects.count() == 1
    assert api_as(users["staff"]).get(url, {"project": project.pk}).data["count"] == 1


# --------------------------------------------------------------------------- surveys

SURVEYS = "/api/v1/surveys/"


def test_survey_lifecycle_over_the_api(project, users):
    owner = users["business"]
    client = api_as(owner)
    response = client.post(SURVEYS, {"project": project.pk, "title": "Counter", "method": "questionnaire"},
                           format="json")
    assert response.status_code == 201 and response.data["status"] == "draft"
    sid = response.data["id"]
    q = client.post(f"{SURVEYS}{sid}/questions/", {"text": "Channel?", "kind": "single",
                                                   "choices": ["Counter", "Mobile"], "required": True},
                    format="json")
    assert q.status_code == 201
    bad = client.post(f"{SURVEYS}{sid}/questions/", {"text": "?", "kind": "single", "choices": ["one"]},
                      format="json")
    assert bad.status_code == 400 and "choices" in bad.data
    assert client.post(f"{SURVEYS}{sid}/open/").data["status"] == "open"
    staff = api_as(users["staff"])
    answer = staff.post(f"{SURVEYS}{sid}/responses/", {"answers": [{"question": q.data["id"], "value": "Mobile"}]},
                        format="json")
    assert answer.status_code == 201, answer.data
    twice = staff.post(f"{SURVEYS}{sid}/responses/", {"answers": [{"question": q.data["id"], "value": "Mobile"}]},
                       format="json")
    assert twice.status_code == 400 and "already answered" in twice.data["detail"]
    edit = staff.put(f"{SURVEYS}{sid}/responses/mine/", {"answers": [{"question": q.data["id"], "value": "Counter"}]},
                     format="json")
    assert edit.status_code == 200 and edit.data["answers"][0]["value"] == ["Counter"]
    summary = client.get(f"{SURVEYS}{sid}/summary/").data
    assert summary["questions"][0]["choices"] == [{"choice": "Counter", "count": 1}, {"choice": "Mobile", "count": 0}]
    assert staff.get(f"{SURVEYS}{sid}/summary/").status_code == 403
    assert staff.get(f"{SURVEYS}{sid}/responses/").status_code == 403
    assert client.get(f"{SURVEYS}{sid}/responses/").data["count"] == 1
    assert client.post(f"{SURVEYS}{sid}/close/").data["status"] == "closed"
    closed = api_as(users["tester"]).post(f"{SURVEYS}{sid}/responses/",
                                         {"answers": [{"question": q.data["id"], "value": "Mobile"}]}, format="json")
    assert closed.status_code == 400 and "closed" in closed.data["detail"]
    assert SurveyResponse.objects.count() == 1


def test_survey_permission_matrix(project, users, outsider):
    survey, questions = questionnaire(project, owner=users["business"])
    body = {"project": project.pk, "title": "New", "method": "interview"}
    assert api_as().get(SURVEYS).status_code == 401
    for role, user in users.items():
        assert api_as(user).get(f"{SURVEYS}{survey.pk}/").status_code == 200
        expected = 201 if role in WRITERS else 403
        assert api_as(user).post(SURVEYS, body, format="json").status_code == expected, role
    assert api_as(outsider).get(f"{SURVEYS}{survey.pk}/").status_code == 404
    assert api_as(outsider).post(f"{SURVEYS}{survey.pk}/responses/",
                                 {"answers": [{"question": questions[0].pk, "value": "x"}]},
                                 format="json").status_code == 404


def test_survey_bad_answers(project, users):
    survey, questions = questionnaire(project, owner=users["business"])
    client = api_as(users["staff"])
    url = f"{SURVEYS}{survey.pk}/responses/"
    missing = client.post(url, {"answers": [{"question": questions[1].pk, "value": "Counter"}]}, format="json")
    assert missing.status_code == 400 and "required" in missing.data["detail"]
    scale = client.post(url, {"answers": [{"question": k, "value": v} for k, v in
                                          {**good_answers(questions), questions[3].pk: 7}.items()]}, format="json")
    assert scale.status_code == 400 and "1 to 5" in scale.data["detail"]
    assert not SurveyResponse.objects.exists()
    ok = client.post(url, {"answers": [{"question": k, "value": v} for k, v in good_answers(questions).items()]},
                     format="json")
    assert ok.status_code == 201


def test_interviews_api(project, users):
    round_, interview = interview_round(project, owner=users["business"])
    client = api_as(users["business"])
    listed = client.get(f"{SURVEYS}{round_.pk}/interviews/")
    assert listed.status_code == 200 and listed.data[0]["interviewees"] == "Head of Retail"
    created = client.post(f"{SURVEYS}{round_.pk}/interviews/", {"interviewees": "Treasury", "held_on": "2026-10-03",
                                                                 "notes": "Liquidity first"}, format="json")
    assert created.status_code == 201 and created.data["interviewer"] == users["business"].pk
    empty = client.post(f"{SURVEYS}{round_.pk}/interviews/", {"interviewees": "X", "held_on": "2026-10-03",
                                                               "notes": ""}, format="json")
    assert empty.status_code == 400
    assert api_as(users["staff"]).post(f"{SURVEYS}{round_.pk}/interviews/",
                                       {"interviewees": "X", "held_on": "2026-10-03", "notes": "n"},
                                       format="json").status_code == 403


def test_survey_list_query_count_constant(project, users):
    client = api_as(users["manager"])
    questionnaire(project)
    _, few = count_queries(lambda: client.get(SURVEYS, {"project": project.pk}))
    owner = member(project, "business")
    for _ in range(20):
        questionnaire(project, owner=owner)
    response, many = count_queries(lambda: client.get(SURVEYS, {"project": project.pk}))
    assert response.data["count"] == 21 and few == many


def test_schema_builds(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/requirements/{id}/request-changes/" in response.content



# --------------------------------------------------------------------------- withdraw

def test_withdraw_through_the_api(project, users):
    r = submitted(project, author=users["business"])
    response = api_as(users["business"]).post(f"{BASE}{r.pk}/withdraw/", {"comment": "Not finished"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "draft", response.data
    assert response.data["submitted_at"] is None
    r.refresh_from_db()
    assert r.status == "draft" and r.history.first().history_change_reason == "Not finished"
    # A body is optional, as for submit.
    api_as(users["business"]).post(f"{BASE}{r.pk}/submit/", {}, format="json")
    assert api_as(users["business"]).post(f"{BASE}{r.pk}/withdraw/").status_code == 200


def test_withdraw_permission_matrix(project, users, outsider):
    author = users["business"]
    reviewer = member(project, "business")
    r = submitted(project, author=author)
    url = f"{BASE}{r.pk}/withdraw/"
    assert api_as().post(url, {}, format="json").status_code == 401
    assert api_as(outsider).post(url, {}, format="json").status_code == 404
    others = {role: users[role] for role in ("tester", "staff", "developer", "ops", "trainer")}
    others["reviewer"] = reviewer  # another business member: may review it, may not take it back
    for who, user in others.items():
        response = api_as(user).post(url, {}, format="json")
        assert response.status_code == 403 and response.json()["detail"], who
    r.refresh_from_db()
    assert r.status == "submitted"
    assert api_as(author).post(url, {}, format="json").status_code == 200
    api_as(author).post(f"{BASE}{r.pk}/submit/", {}, format="json")
    assert api_as(users["manager"]).post(url, {}, format="json").status_code == 200


@pytest.mark.parametrize("state", ["draft", "approved"])
def test_withdraw_bad_state_400_nothing_changed(project, users, state):
    r = requirement(project, author=users["business"]) if state == "draft" else approved(project,
                                                                                        author=users["business"])
    history = r.history.count()
    response = api_as(users["business"]).post(f"{BASE}{r.pk}/withdraw/", {}, format="json")
    assert response.status_code == 400 and r.code in response.data["detail"] and "status" in response.data
    r.refresh_from_db()
    assert r.status == state and r.history.count() == history


def test_withdraw_reason_too_long_400(project, users):
    r = submitted(project, author=users["business"])
    response = api_as(users["business"]).post(f"{BASE}{r.pk}/withdraw/", {"comment": "x" * 101}, format="json")
    assert response.status_code == 400 and "comment" in response.data
    r.refresh_from_db()
    assert r.status == "submitted"


def test_withdrawn_requirement_leaves_the_reviewers_my_work(project, users):
    reviewer = member(project, "business")
    r = submitted(project, author=users["business"])
    work = api_as(reviewer).get("/api/v1/me/work/", {"project": project.pk}).json()
    assert [(i["kind"], i["id"]) for i in work["items"]] == [("requirement_to_review", r.pk)]
    api_as(users["business"]).post(f"{BASE}{r.pk}/withdraw/", {}, format="json")
    work = api_as(reviewer).get("/api/v1/me/work/", {"project": project.pk}).json()  # cached summary refreshed
    assert work["items"] == [] and work["totals"].get("requirement_to_review", 0) == 0
