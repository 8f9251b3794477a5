import pytest
from django.urls import reverse

from requirements import services
from requirements.models import Requirement, RequirementReview, SurveyResponse
from tests.projects.factories import member
from tests.utils import count_queries, htmx

from .factories import approved, good_answers, interview_round, questionnaire, requirement, submitted

pytestmark = pytest.mark.django_db

WRITERS = {"manager", "business"}


def _login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def data(project, users):
    r = requirement(project, author=users["business"])
    survey, questions = questionnaire(project, owner=users["business"])
    round_, interview = interview_round(project, owner=users["business"])
    return {"requirement": r, "survey": survey, "questions": questions, "round": round_, "interview": interview}


def _read_pages(project, data):
    r, s = data["requirement"], data["survey"]
    return [
        reverse("requirements:list", args=[project.pk]),
        reverse("requirements:detail", args=[project.pk, r.pk]),
        reverse("requirements:review", args=[project.pk]),
        reverse("requirements:progress", args=[project.pk]),
        reverse("requirements:conflicts", args=[project.pk]),
        reverse("requirements:surveys", args=[project.pk]),
        reverse("requirements:survey", args=[project.pk, s.pk]),
        reverse("requirements:survey", args=[project.pk, data["round"].pk]),
        reverse("requirements:survey_answer", args=[project.pk, s.pk]),
    ]


def test_read_pages_permission_matrix(client, project, users, outsider, data):
    for url in _read_pages(project, data):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        for role, user in users.items():
            assert _login(client, user).get(url).status_code == 200, (role, url)
        assert _login(client, outsider).get(url).status_code == 404, url
        client.logout()


def test_write_pages_permission_matrix(client, project, users, outsider, data):
    r = data["requirement"]
    urls = [reverse("requirements:create", args=[project.pk]), reverse("requirements:edit", args=[project.pk, r.pk]),
            reverse("requirements:survey_create", args=[project.pk])]
    for url in urls:
        assert client.get(url).status_code == 302
        for role, user in users.items():
            expected = 200 if role in WRITERS else 403
            assert _login(client, user).get(url).status_code == expected, (role, url)
        assert _login(client, outsider).get(url).status_code == 404
        client.logout()


def test_create_requirement_through_the_page(client, project, users):
    _login(client, users["business"])
    url = reverse("requirements:create", args=[project.pk])
    response = client.post(url, {"title": "Passbook printing", "priority": "must", "description": "d"})
    r = Requirement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("requirements:detail",
                                                                             args=[project.pk, r.pk])
    assert (r.code, r.status, r.author) == ("REQ-001", "draft", users["business"])


def test_create_requirement_bad_input_shows_message_and_saves_nothing(client, project, users):
    _login(client, users["business"])
    response = client.post(reverse("requirements:create", args=[project.pk]), {"title": "", "priority": "urgent"})
    assert response.status_code == 400 and b'class="error"' in response.content
    assert not Requirement.objects.exists()


def test_staff_and_tester_cannot_post_writes(client, project, users, data):
    r = data["requirement"]
    for role in ("staff", "tester"):
        _login(client, users[role])
        assert client.post(reverse("requirements:create", args=[project.pk]), {"title": "x",
                                                                               "priority": "must"}).status_code == 403
        assert client.post(reverse("requirements:action", args=[project.pk, r.pk, "submit"])).status_code == 403
    assert Requirement.objects.count() == 1 and Requirement.objects.get().status == "draft"


def test_review_workflow_through_the_pages(client, project, users, data):
    r = data["requirement"]
    _login(client, users["business"])
    client.post(reverse("requirements:action", args=[project.pk, r.pk, "submit"]))
    r.refresh_from_db()
    assert r.status == "submitted"
    # The author's attempt at approval is refused with a message and nothing recorded.
    response = client.post(reverse("requirements:action", args=[project.pk, r.pk, "approve"]), follow=True)
    assert "four-eyes" in response.content.decode()
    assert not RequirementReview.objects.exists()
    # Tester may not review: 403.
    _login(client, users["tester"])
    assert client.post(reverse("requirements:action", args=[project.pk, r.pk, "approve"])).status_code == 403
    # An empty rejection comment is refused.
    _login(client, users["manager"])
    response = client.post(reverse("requirements:action", args=[project.pk, r.pk, "reject"]), {"comment": ""},
                           follow=True)
    assert "comment" in response.content.decode()
    r.refresh_from_db()
    assert r.status == "submitted"
    client.post(reverse("requirements:action", args=[project.pk, r.pk, "approve"]))
    r.refresh_from_db()
    assert r.status == "approved"


def test_unknown_action_is_refused(client, project, users, data):
    _login(client, users["manager"])
    url = reverse("requirements:action", args=[project.pk, data["requirement"].pk, "explode"])
    assert client.post(url).status_code == 403


def test_list_filters_search_sort_and_htmx_partial(client, project, users):
    a = requirement(project, title="Passbook printing", priority="must")
    requirement(project, title="Cash pooling", priority="could")
    _login(client, users["staff"])
    url = reverse("requirements:list", args=[project.pk])
    full = client.get(url)
    assert b"<html" in full.content and b'id="req-table"' in full.content
    partial = htmx(client, url, data={"priority": "must"})
    body = partial.content.decode()
    assert "<html" not in body and 'id="req-table"' in body
    assert "Passbook" in body and "Cash pooling" not in body
    body = client.get(url, {"q": "pool"}).content.decode()
    assert "Cash pooling" in body and "Passbook" not in body
    body = client.get(url, {"sort": "-code"}).content.decode()
    assert body.index("REQ-002") < body.index(a.code + "<")


def test_bulk_submit(client, project, users):
    a, b = requirement(project, author=users["business"]), requirement(project, author=users["business"])
    _login(client, users["business"])
    client.post(reverse("requirements:bulk_submit", args=[project.pk]), {"requirements": [a.pk, b.pk]})
    assert set(Requirement.objects.values_list("status", flat=True)) == {"submitted"}


def test_detail_shows_versions_diff_and_decisions(client, project, users):
    r = approved(project, author=users["business"], description="Balance within 2 seconds")
    services.requirement_update(actor=users["business"], requirement=r, description="Balance within 1 second")
    _login(client, users["tester"])
    url = reverse("requirements:detail", args=[project.pk, r.pk])
    body = client.get(url).content.decode()
    assert "Changes from v1 to v2" in body
    assert "<del>2</del>" in body and "<ins>1</ins>" in body
    assert "Approved" in body
    partial = htmx(client, url, data={"from": 1, "to": 2}).content.decode()
    assert "<html" not in partial and 'id="versions"' in partial


def test_review_queue_lists_others_work_with_age(client, project, users):
    mine = submitted(project, author=users["business"], title="Mine")
    theirs = submitted(project, title="Theirs")
    _login(client, users["business"])
    body = client.get(reverse("requirements:review", args=[project.pk])).content.decode()
    assert "Theirs" in body and "Mine" not in body
    assert mine.code not in body
    assert htmx(client, reverse("requirements:review", args=[project.pk])).content.decode().count("<html") == 0
    assert theirs.code in body


def test_conflict_add_and_resolve_pages(client, project, users):
    a, b = requirement(project), requirement(project)
    _login(client, users["business"])
    client.post(reverse("requirements:conflict_add", args=[project.pk, a.pk]), {"other": b.pk, "note": "Limits"})
    conflict = a.conflicts_as_first.get()
    body = client.get(reverse("requirements:conflicts", args=[project.pk])).content.decode()
    assert "Limits" in body
    client.post(reverse("requirements:conflict_resolve", args=[project.pk, conflict.pk]), {"resolution": "Agreed"})
    conflict.refresh_from_db()
    assert conflict.status == "resolved"
    _login(client, users["staff"])
    assert client.post(reverse("requirements:conflict_resolve", args=[project.pk, conflict.pk]),
                       {"resolution": "x"}).status_code == 403


def test_answer_survey_page_once_then_edit(client, project, users, data):
    survey, questions = data["survey"], data["questions"]
    _login(client, users["staff"])
    url = reverse("requirements:survey_answer", args=[project.pk, survey.pk])
    post = {f"q{questions[0].pk}": "Slow month end", f"q{questions[1].pk}": "Mobile",
            f"q{questions[2].pk}": ["Cash"], f"q{questions[3].pk}": "3"}
    assert client.post(url, post).status_code == 302
    response = SurveyResponse.objects.get()
    assert response.answers.get(question=questions[0]).text == "Slow month end"
    client.post(url, {**post, f"q{questions[0].pk}": "Slow everything"})
    assert SurveyResponse.objects.count() == 1
    assert response.answers.get(question=questions[0]).text == "Slow everything"


def test_answer_survey_missing_required_is_400_and_nothing_saved(client, project, users, data):
    survey, questions = data["survey"], data["questions"]
    _login(client, users["staff"])
    url = reverse("requirements:survey_answer", args=[project.pk, survey.pk])
    response = client.post(url, {f"q{questions[1].pk}": "Mobile"})
    assert response.status_code == 400 and "required question" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_closed_survey_cannot_be_answered_from_the_page(client, project, users, data):
    survey, questions = data["survey"], data["questions"]
    services.survey_close(actor=users["business"], survey=survey)
    _login(client, users["staff"])
    url = reverse("requirements:survey_answer", args=[project.pk, survey.pk])
    response = client.post(url, {f"q{questions[0].pk}": "x", f"q{questions[1].pk}": "Mobile"})
    assert response.status_code == 400 and "closed" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_owner_sees_summary_and_turns_answer_into_requirement(client, project, users, data):
    survey, questions = data["survey"], data["questions"]
    services.survey_answer(actor=users["staff"], survey=survey, answers=good_answers(questions))
    _login(client, users["business"])
    url = reverse("requirements:survey", args=[project.pk, survey.pk])
    body = client.get(url).content.decode()
    assert "Response rate" in body and "Month-end runs all night" in body
    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and 'id="summary"' in partial
    answer = SurveyResponse.objects.get().answers.get(question=questions[0])
    response = client.post(reverse("requirements:answer_to_requirement", args=[project.pk, survey.pk, answer.pk]))
    r = Requirement.objects.get(source_answer=answer)
    assert response["Location"] == reverse("requirements:edit", args=[project.pk, r.pk])
    # Staff see the questions, not other people's answers.
    _login(client, users["staff"])
    assert "Response rate" not in client.get(url).content.decode()


def test_interview_page_and_requirement_from_interview(client, project, users, data):
    _login(client, users["business"])
    round_, interview = data["round"], data["interview"]
    client.post(reverse("requirements:interview_add", args=[project.pk, round_.pk]),
                {"interviewees": "Credit head", "held_on": "2026-10-02", "notes": "Collateral register"})
    assert round_.interviews.count() == 2
    client.post(reverse("requirements:interview_to_requirement", args=[project.pk, round_.pk, interview.pk]))
    assert Requirement.objects.filter(source_interview=interview).exists()


def test_survey_create_question_open_close_pages(client, project, users):
    _login(client, users["business"])
    response = client.post(reverse("requirements:survey_create", args=[project.pk]),
                           {"title": "Ops survey", "method": "questionnaire"})
    survey = project.surveys.get(title="Ops survey")
    assert response.status_code == 302
    client.post(reverse("requirements:question_add", args=[project.pk, survey.pk]),
                {"text": "Pick one", "kind": "single", "choices": "A\nB"})
    assert survey.questions.get().choices == ["A", "B"]
    client.post(reverse("requirements:survey_status", args=[project.pk, survey.pk, "open"]))
    survey.refresh_from_db()
    assert survey.status == "open"
    client.post(reverse("requirements:survey_status", args=[project.pk, survey.pk, "close"]))
    survey.refresh_from_db()
    assert survey.status == "closed"


def _many_requirements(project, n):
    author = member(project, "business")
    for i in range(n):
        requirement(project, author=author, title=f"Need {i}")


def test_list_page_query_count_constant(client, project, users):
    _login(client, users["manager"])
    url = reverse("requirements:list", args=[project.pk])
    requirement(project)
    _, few = count_queries(lambda: client.get(url))
    _many_requirements(project, 49)
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_review_queue_query_count_constant(client, project, users):
    _login(client, users["manager"])
    url = reverse("requirements:review", args=[project.pk])
    submitted(project)
    _, few = count_queries(lambda: client.get(url))
    author = member(project, "business")
    for i in range(49):
        submitted(project, author=author, title=f"Need {i}")
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_progress_and_surveys_query_count_constant(client, project, users):
    _login(client, users["manager"])
    urls = [reverse("requirements:progress", args=[project.pk]), reverse("requirements:surveys", args=[project.pk]),
            reverse("requirements:conflicts", args=[project.pk])]
    requirement(project)
    questionnaire(project)
    before = [count_queries(lambda u=u: client.get(u))[1] for u in urls]
    _many_requirements(project, 30)
    for _ in range(10):
        questionnaire(project)
    after = [count_queries(lambda u=u: client.get(u))[1] for u in urls]
    assert before == after


def test_survey_summary_query_count_constant(client, project, users, data):
    survey, questions = data["survey"], data["questions"]
    services.survey_answer(actor=users["staff"], survey=survey, answers=good_answers(questions))
    _login(client, users["business"])
    url = reverse("requirements:survey", args=[project.pk, survey.pk])
    _, few = count_queries(lambda: client.get(url))
    for _ in range(20):
        services.survey_answer(actor=member(project, "staff"), survey=survey, answers=good_answers(questions))
    response, many = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and few == many


def test_answer_page_tells_other_departments_they_are_not_asked(client, project, users):
    from .factories import department

    retail, credit = department(project, "Retail"), department(project, "Credit")
    survey, questions = questionnaire(project, owner=users["business"], departments=[retail])
    outsider_teller = member(project, "staff", department=credit)
    _login(client, outsider_teller)
    url = reverse("requirements:survey_answer", args=[project.pk, survey.pk])
    body = client.get(url).content.decode()
    assert "your department is not one of them" in body and "Send my answers" not in body
    response = client.post(url, {f"q{questions[0].pk}": "x", f"q{questions[1].pk}": "Mobile"})
    assert response.status_code == 400 and not SurveyResponse.objects.exists()


def test_conflicts_and_surveys_htmx_partials(client, project, users, data):
    a, b = requirement(project), requirement(project)
    services.conflict_create(actor=users["business"], first=a, second=b, note="Limits")
    _login(client, users["staff"])
    body = htmx(client, reverse("requirements:conflicts", args=[project.pk]), data={"status": "open"}).content.decode()
    assert "<html" not in body and 'id="conflicts"' in body and "Limits" in body
    body = htmx(client, reverse("requirements:conflicts", args=[project.pk]),
                data={"status": "resolved"}).content.decode()
    assert "Limits" not in body
    body = htmx(client, reverse("requirements:surveys", args=[project.pk])).content.decode()
    assert "<html" not in body and 'id="surveys"' in body and data["survey"].title in body


def test_survey_edit_page(client, project, users, data):
    survey = data["survey"]
    url = reverse("requirements:survey_edit", args=[project.pk, survey.pk])
    _login(client, users["staff"])
    assert client.get(url).status_code == 403
    _login(client, users["business"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"title": "Renamed", "due_date": "2026-12-01"}).status_code == 302
    survey.refresh_from_db()
    assert survey.title == "Renamed" and str(survey.due_date) == "2026-12-01"
    assert client.post(url, {"title": ""}).status_code == 400
    services.survey_close(actor=users["business"], survey=survey)
    response = client.post(url, {"title": "Too late"})
    survey.refresh_from_db()
    assert response.status_code == 400 and survey.title == "Renamed"


def test_create_form_prefilled_from_querystring(client, project, users):
    _login(client, users["business"])
    body = client.get(reverse("requirements:create", args=[project.pk]),
                      {"title": "Print receipts in Chinese", "description": "From branch feedback"}).content.decode()
    assert 'value="Print receipts in Chinese"' in body and "From branch feedback" in body


def test_progress_page_and_htmx_partial(client, project, users):
    from .factories import department

    retail, credit = department(project, "Retail"), department(project, "Credit")
    approved(project, department=retail, priority="must")
    submitted(project, department=credit, priority="could")
    _login(client, users["business"])
    url = reverse("requirements:progress", args=[project.pk])

    full = client.get(url).content.decode()
    assert "<html" in full and 'name="priority"' in full and 'hx-target="#progress"' in full
    assert 'id="progress"' in full and 'hx-trigger="every 60s"' in full
    assert "Retail" in full and "Credit" in full

    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and 'name="priority"' not in partial
    assert 'id="progress"' in partial and 'hx-trigger="every 60s"' in partial and "Retail" in partial

    # The filter narrows the table; the poll and the department links keep it.
    partial = htmx(client, url, data={"priority": "could"}).content.decode()
    assert "Credit" in partial and "Retail" not in partial
    assert f'hx-get="{url}?priority=could"' in partial and f"?department={credit.pk}&amp;priority=could" in partial
    full = client.get(url, {"priority": "could"}).content.decode()  # without JavaScript: a plain GET
    assert "<html" in full and "Credit" in full and "Retail" not in full and 'value="could" selected' in full
    assert "No requirement matches these filters." in client.get(url, {"priority": "wont"}).content.decode()
    assert "Retail" in client.get(url, {"priority": "bogus"}).content.decode()  # unknown priority: ignored


def test_progress_partial_permission_matrix(client, project, users, outsider):
    url = reverse("requirements:progress", args=[project.pk])
    response = htmx(client, url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role, user in users.items():
        assert htmx(_login(client, user), url).status_code == 200, role
    assert htmx(_login(client, outsider), url).status_code == 404


def test_progress_query_count_same_for_1_and_50_requirements(client, project, users):
    from .factories import department

    _login(client, users["manager"])
    url = reverse("requirements:progress", args=[project.pk])
    departments = [department(project, f"Dept {i}") for i in range(5)]
    requirement(project, department=departments[0])
    calls = [lambda: client.get(url), lambda: htmx(client, url), lambda: htmx(client, url, data={"priority": "must"})]
    few = [count_queries(call)[1] for call in calls]
    author = member(project, "business")
    for i in range(49):
        kind = (requirement, submitted, approved)[i % 3]
        kind(project, author=author, title=f"Need {i}", department=departments[i % 5],
             priority=("must", "should", "could")[i % 3])
    assert Requirement.objects.filter(project=project).count() == 50
    many = [count_queries(call)[1] for call in calls]
    assert few == many
    assert "Dept 4" in htmx(client, url).content.decode()


def test_review_queue_shows_50_a_page_with_the_total(client, project, users):
    from requirements.views import REVIEW_PAGE_SIZE

    _login(client, users["manager"])
    author = member(project, "business")
    for i in range(REVIEW_PAGE_SIZE + 3):
        submitted(project, author=author, title=f"Need {i}")
    url = reverse("requirements:review", args=[project.pk])
    body = client.get(url).content.decode()
    assert f"{REVIEW_PAGE_SIZE + 3} requirements wait for a decision" in body and "Page 1 of 2" in body
    assert body.count(">Approve<") == REVIEW_PAGE_SIZE
    second = htmx(client, url, data={"page": 2}).content.decode()
    assert "<html" not in second and second.count(">Approve<") == 3


# --------------------------------------------------------------------------- withdraw

def _withdraw_url(project, r):
    return reverse("requirements:action", args=[project.pk, r.pk, "withdraw"])


def test_withdraw_button_asks_first_and_shows_only_to_author_and_manager(client, project, users):
    r = submitted(project, author=users["business"])
    reviewer = member(project, "business")
    detail = reverse("requirements:detail", args=[project.pk, r.pk])
    for who, user, shown in [("author", users["business"], True), ("manager", users["manager"], True),
                             ("reviewer", reviewer, False), ("tester", users["tester"], False)]:
        html = _login(client, user).get(detail).content.decode()
        assert (f'action="{_withdraw_url(project, r)}"' in html) is shown, who
        if shown:
            assert "Withdraw this requirement from review?" in html and "data-confirm=" in html
            assert f'hx-post="{_withdraw_url(project, r)}"' in html and 'hx-target="#review"' in html
    services.requirement_withdraw(actor=users["business"], requirement=r)
    html = _login(client, users["business"]).get(detail).content.decode()
    assert _withdraw_url(project, r) not in html  # a draft has nothing to withdraw


def test_withdraw_through_the_page(client, project, users):
    r = submitted(project, author=users["business"])
    _login(client, users["business"])
    response = client.post(_withdraw_url(project, r), {"comment": "Wrong department"})
    assert response.status_code == 302 and response["Location"] == reverse("requirements:detail",
                                                                             args=[project.pk, r.pk])
    r.refresh_from_db()
    assert r.status == "draft"
    page = client.get(response["Location"]).content.decode()
    assert "withdrawn from review" in page and "Reason: Wrong department" in page  # message and history


def test_withdraw_htmx_returns_the_review_card_with_head_and_history_out_of_band(client, project, users):
    r = submitted(project, author=users["business"])
    _login(client, users["business"])
    response = client.post(_withdraw_url(project, r), {"comment": "Oops"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="review"' in html and "withdrawn from review" in html and "Submit for review" in html
    assert 'id="requirement-head"' in html and 'hx-swap-oob="true"' in html and "st-draft" in html
    assert 'id="requirement-history"' in html and "Reason: Oops" in html
    assert "requirement-changed" in response["HX-Trigger"]
    r.refresh_from_db()
    assert r.status == "draft"
    # Again: refused, said in the card, nothing changed.
    response = client.post(_withdraw_url(project, r), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "nothing to withdraw" in response.content.decode()
    assert 'role="alert"' in response.content.decode() and "HX-Trigger" not in response
    r.refresh_from_db()
    assert r.status == "draft"


def test_withdraw_page_permission_matrix(client, project, users, outsider):
    r = submitted(project, author=users["business"])
    reviewer = member(project, "business")
    url = _withdraw_url(project, r)
    assert client.post(url).status_code == 302 and "/accounts/login/" in client.post(url)["Location"]
    for who, user in [*((role, users[role]) for role in ("tester", "staff", "developer", "ops", "trainer")),
                      ("reviewer", reviewer)]:
        assert _login(client, user).post(url).status_code == 403, who
    assert _login(client, outsider).post(url).status_code == 404
    r.refresh_from_db()
    assert r.status == "submitted"
    assert _login(client, users["manager"]).post(url).status_code == 302
    r.refresh_from_db()
    assert r.status == "draft"


@pytest.mark.parametrize("state", ["draft", "approved"])
def test_withdraw_page_bad_state_says_why_and_changes_nothing(client, project, users, state):
    r = requirement(project, author=users["business"]) if state == "draft" else approved(project,
                                                                                        author=users["business"])
    _login(client, users["business"])
    response = client.post(_withdraw_url(project, r), follow=True)
    text = response.content.decode()
    assert ("nothing to withdraw" in text) if state == "draft" else ("cannot be withdrawn" in text)
    r.refresh_from_db()
    assert r.status == state


def test_withdrawn_requirement_leaves_the_review_queue(client, project, users):
    r = submitted(project, author=users["business"])
    reviewer = member(project, "business")
    queue = reverse("requirements:review", args=[project.pk])
    assert r.code in _login(client, reviewer).get(queue).content.decode()
    services.requirement_withdraw(actor=users["business"], requirement=r)
    assert r.code not in client.get(queue).content.decode()
    assert r.code not in htmx(client, queue).content.decode()
