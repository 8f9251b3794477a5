import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from projects.errors import DomainError
from requirements import services
from requirements.models import (
    Answer,
    Requirement,
    RequirementConflict,
    RequirementReview,
    RequirementVersion,
    SurveyResponse,
)
from tests.projects.factories import member
from tests.utils import requires_postgres

from .factories import approved, department, good_answers, interview_round, questionnaire, requirement, submitted

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- creation and codes

def test_codes_are_assigned_per_project_and_never_reused(project, other_project):
    a = requirement(project)
    b = requirement(project)
    c = requirement(other_project)
    assert (a.code, b.code, c.code) == ("REQ-001", "REQ-002", "REQ-001")
    assert a.status == "draft" and a.version == 1
    b.delete()
    assert requirement(project).code == "REQ-003"  # REQ-002 is never handed out again
    assert a.history.first().history_user == a.author
    assert RequirementVersion.objects.get(requirement=a).number == 1


def test_create_refuses_bad_input_and_saves_nothing(project, other_project):
    author = member(project, "business")
    with pytest.raises(DomainError) as exc:
        services.requirement_create(actor=author, project=project, title="X", priority="urgent")
    assert exc.value.field == "priority" and "must, should, could, wont" in str(exc.value.message)
    with pytest.raises(DomainError) as exc:
        services.requirement_create(actor=author, project=project, title="  ")
    assert exc.value.field == "title"
    with pytest.raises(DomainError) as exc:
        services.requirement_create(actor=author, project=project, title="X", department=department(other_project))
    assert exc.value.field == "department"
    assert not Requirement.objects.exists() and not RequirementVersion.objects.exists()


@pytest.mark.parametrize("role", ["tester", "staff", "developer", "ops", "trainer"])
def test_only_business_and_managers_write(project, role):
    with pytest.raises(DomainError):
        services.requirement_create(actor=member(project, role), project=project, title="X")
    services.requirement_create(actor=member(project, "manager"), project=project, title="Y")
    assert Requirement.objects.count() == 1


# --------------------------------------------------------------------------- state machine

def test_happy_path_draft_submitted_approved(project):
    r = requirement(project)
    reviewer = member(project, "business")
    with freeze_time("2026-11-01 09:00"):
        r = services.requirement_submit(actor=r.author, requirement=r)
    assert r.status == "submitted" and r.submitted_at.isoformat().startswith("2026-11-01")
    r = services.requirement_approve(actor=reviewer, requirement=r, comment="Fine")
    assert r.status == "approved"
    review = RequirementReview.objects.get(requirement=r)
    assert (review.reviewer, review.version, review.decision, review.comment) == (reviewer, 1, "approved", "Fine")


@pytest.mark.parametrize("decision,service,status", [
    ("rejected", services.requirement_reject, "rejected"),
    ("changes_requested", services.requirement_request_changes, "changes_requested"),
])
def test_reject_and_request_changes_need_a_comment(project, decision, service, status):
    r = submitted(project)
    reviewer = member(project, "business")
    with pytest.raises(DomainError) as exc:
        service(actor=reviewer, requirement=r, comment="   ")
    assert exc.value.field == "comment"
    r.refresh_from_db()
    assert r.status == "submitted" and not RequirementReview.objects.exists()
    r = service(actor=reviewer, requirement=r, comment="Not measurable")
    assert r.status == status
    assert RequirementReview.objects.get().decision == decision


ILLEGAL = [
    # (how to get there, action)
    ("draft", "approve"), ("draft", "reject"), ("draft", "request-changes"),
    ("submitted", "submit"),
    ("approved", "submit"), ("approved", "approve"), ("approved", "reject"), ("approved", "request-changes"),
    ("rejected", "submit"), ("rejected", "approve"), ("rejected", "reject"), ("rejected", "request-changes"),
    ("changes_requested", "approve"), ("changes_requested", "reject"), ("changes_requested", "request-changes"),
    ("changes_requested", "submit"),  # must be edited first
]


def _in_state(project, state, reviewer):
    r = requirement(project)
    if state == "draft":
        return r
    r = services.requirement_submit(actor=r.author, requirement=r)
    if state == "approved":
        r = services.requirement_approve(actor=reviewer, requirement=r)
    elif state == "rejected":
        r = services.requirement_reject(actor=reviewer, requirement=r, comment="No")
    elif state == "changes_requested":
        r = services.requirement_request_changes(actor=reviewer, requirement=r, comment="Fix")
    return r


@pytest.mark.parametrize("state,action", ILLEGAL)
def test_illegal_transitions_are_refused_and_change_nothing(project, state, action):
    reviewer = member(project, "business")
    r = _in_state(project, state, reviewer)
    reviews_before = RequirementReview.objects.count()
    actor = r.author if action == "submit" else reviewer
    with pytest.raises(DomainError) as exc:
        services.ACTIONS[action](actor, r, "a comment")
    assert r.code in str(exc.value.message) or "Edit" in str(exc.value.message)
    r.refresh_from_db()
    assert r.status == state
    assert RequirementReview.objects.count() == reviews_before


def test_changes_requested_then_edit_then_submit(project):
    reviewer = member(project, "business")
    r = _in_state(project, "changes_requested", reviewer)
    r = services.requirement_update(actor=r.author, requirement=r, acceptance_criteria="Within 1 s")
    assert r.version == 2 and r.status == "changes_requested"
    r = services.requirement_submit(actor=r.author, requirement=r)
    assert r.status == "submitted"
    r = services.requirement_approve(actor=reviewer, requirement=r)
    assert list(r.reviews.values_list("version", "decision")) == [(1, "changes_requested"), (2, "approved")]


def test_submitted_and_rejected_cannot_be_edited(project):
    reviewer = member(project, "business")
    for state in ("submitted", "rejected"):
        r = _in_state(project, state, reviewer)
        with pytest.raises(DomainError):
            services.requirement_update(actor=r.author, requirement=r, title="Changed")
        r.refresh_from_db()
        assert r.title == "Real-time balance enquiry"


# --------------------------------------------------------------------------- four-eyes

def test_author_can_never_approve_own_requirement_even_as_manager(project):
    boss = member(project, "manager")
    r = submitted(project, author=boss)
    with pytest.raises(DomainError) as exc:
        services.requirement_approve(actor=boss, requirement=r)
    assert "four-eyes" in str(exc.value.message)
    r.refresh_from_db()
    assert r.status == "submitted" and not RequirementReview.objects.exists()
    # The author may still reject or ask for changes on their own? No need: but another reviewer may approve.
    services.requirement_approve(actor=member(project, "business"), requirement=r)


def test_editor_of_a_new_version_cannot_approve_it(project):
    author = member(project, "business")
    editor = member(project, "business")
    r = approved(project, author=author)
    r = services.requirement_update(actor=editor, requirement=r, title="Revised")
    r = services.requirement_submit(actor=editor, requirement=r)
    with pytest.raises(DomainError):
        services.requirement_approve(actor=editor, requirement=r)
    with pytest.raises(DomainError):
        services.requirement_approve(actor=author, requirement=r)
    services.requirement_approve(actor=member(project, "manager"), requirement=r)


def test_reviewer_from_another_project_is_refused(project, other_project):
    r = submitted(project)
    stranger = member(other_project, "business")
    with pytest.raises(DomainError) as exc:
        services.requirement_approve(actor=stranger, requirement=r)
    assert "not a member" in str(exc.value.message)
    r.refresh_from_db()
    assert r.status == "submitted"


@pytest.mark.parametrize("role", ["tester", "staff", "developer", "ops", "trainer"])
def test_other_roles_cannot_review(project, role):
    r = submitted(project)
    with pytest.raises(DomainError):
        services.requirement_approve(actor=member(project, role), requirement=r)


# --------------------------------------------------------------------------- versions

def test_editing_an_approved_requirement_makes_a_new_version_back_in_draft(project):
    r = approved(project, description="Old text")
    approval = RequirementReview.objects.get(requirement=r)
    r = services.requirement_update(actor=r.author, requirement=r, description="New text", priority="should")
    assert (r.version, r.status, r.submitted_at) == (2, "draft", None)
    v1, v2 = RequirementVersion.objects.filter(requirement=r).order_by("number")
    assert (v1.description, v1.priority) == ("Old text", "must")
    assert (v2.description, v2.priority) == ("New text", "should")
    approval.refresh_from_db()
    assert approval.version == 1 and approval.decision == "approved"  # the decision is kept, untouched


def test_editing_an_undecided_draft_updates_the_current_version(project):
    r = requirement(project, description="a")
    r = services.requirement_update(actor=r.author, requirement=r, description="b")
    assert r.version == 1
    assert RequirementVersion.objects.get(requirement=r).description == "b"


def test_no_change_no_new_version(project):
    r = approved(project)
    r = services.requirement_update(actor=r.author, requirement=r, title=r.title)
    assert r.version == 1 and r.status == "approved"


def test_bulk_submit_is_all_or_nothing(project):
    author = member(project, "business")
    a, b = requirement(project, author=author), requirement(project, author=author)
    done = submitted(project, author=author)
    with pytest.raises(DomainError):
        services.requirement_bulk_submit(actor=author, project=project, requirement_ids=[a.pk, b.pk, done.pk])
    assert set(Requirement.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"draft"}
    services.requirement_bulk_submit(actor=author, project=project, requirement_ids=[a.pk, b.pk])
    assert set(Requirement.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"submitted"}
    with pytest.raises(DomainError):
        services.requirement_bulk_submit(actor=author, project=project, requirement_ids=[])


# --------------------------------------------------------------------------- conflicts

def test_conflicts(project, other_project):
    a, b = requirement(project), requirement(project)
    writer = member(project, "business")
    c = services.conflict_create(actor=writer, first=b, second=a, note="Different limits")
    assert (c.first, c.second, c.status) == (a, b, "open")
    with pytest.raises(DomainError):
        services.conflict_create(actor=writer, first=a, second=b, note="again")
    with pytest.raises(DomainError):
        services.conflict_create(actor=writer, first=a, second=a, note="self")
    with pytest.raises(DomainError):
        services.conflict_create(actor=writer, first=a, second=requirement(other_project), note="x")
    with pytest.raises(DomainError):
        services.conflict_create(actor=writer, first=a, second=requirement(project), note=" ")
    with pytest.raises(DomainError):
        services.conflict_resolve(actor=writer, conflict=c, resolution="")
    services.conflict_resolve(actor=writer, conflict=c, resolution="Limit 500k agreed")
    c.refresh_from_db()
    assert c.status == "resolved" and c.resolved_by == writer
    with pytest.raises(DomainError):
        services.conflict_resolve(actor=writer, conflict=c, resolution="again")
    assert RequirementConflict.objects.count() == 1


# --------------------------------------------------------------------------- surveys

def test_answering_a_questionnaire_once_then_editing(project):
    dept = department(project, "Retail")
    survey, questions = questionnaire(project, departments=[dept])
    teller = member(project, "staff", department=dept)
    response = services.survey_answer(actor=teller, survey=survey, answers=good_answers(questions))
    assert response.department == dept and response.answers.count() == 4
    with pytest.raises(DomainError) as exc:
        services.survey_answer(actor=teller, survey=survey, answers=good_answers(questions))
    assert "already answered" in str(exc.value.message)
    services.survey_response_update(actor=teller, response=response,
                                    answers={**good_answers(questions, "Account opening"), questions[3].pk: None})
    assert response.answers.get(question=questions[0]).text == "Account opening"
    assert not response.answers.filter(question=questions[3]).exists()
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize("change,message", [
    ({0: ""}, "required"),
    ({1: "Fax"}, "offered"),
    ({2: ["Cash", "Gold"]}, "offered"),
    ({3: 9}, "1 to 5"),
    ({3: "x"}, "1 to 5"),
])
def test_bad_answers_are_refused_and_nothing_saved(project, change, message):
    survey, questions = questionnaire(project)
    answers = good_answers(questions)
    for index, value in change.items():
        answers[questions[index].pk] = value
    with pytest.raises(DomainError) as exc:
        services.survey_answer(actor=member(project, "staff"), survey=survey, answers=answers)
    assert message in str(exc.value.message)
    assert not SurveyResponse.objects.exists() and not Answer.objects.exists()


def test_unknown_question_is_refused(project):
    survey, questions = questionnaire(project)
    other, other_questions = questionnaire(project)
    with pytest.raises(DomainError):
        services.survey_answer(actor=member(project, "staff"), survey=survey,
                               answers={**good_answers(questions), other_questions[0].pk: "x"})


def test_only_target_departments_answer(project):
    retail, credit = department(project, "Retail"), department(project, "Credit")
    survey, questions = questionnaire(project, departments=[retail])
    with pytest.raises(DomainError) as exc:
        services.survey_answer(actor=member(project, "staff", department=credit), survey=survey,
                               answers=good_answers(questions))
    assert "Retail" in str(exc.value.message)
    assert not SurveyResponse.objects.exists()


def test_closed_survey_is_frozen(project):
    survey, questions = questionnaire(project)
    teller = member(project, "staff")
    response = services.survey_answer(actor=teller, survey=survey, answers=good_answers(questions))
    services.survey_close(actor=survey.owner, survey=survey)
    with pytest.raises(DomainError) as exc:
        services.survey_answer(actor=member(project, "staff"), survey=survey, answers=good_answers(questions))
    assert "closed" in str(exc.value.message)
    with pytest.raises(DomainError):
        services.survey_response_update(actor=teller, response=response, answers=good_answers(questions, "new"))
    assert response.answers.get(question=questions[0]).text == "Month-end runs all night"


def test_draft_survey_cannot_be_answered_and_needs_questions_to_open(project):
    survey, questions = questionnaire(project, open_it=False)
    with pytest.raises(DomainError):
        services.survey_answer(actor=member(project, "staff"), survey=survey, answers=good_answers(questions))
    empty = services.survey_create(actor=survey.owner, project=project, title="Empty")
    with pytest.raises(DomainError) as exc:
        services.survey_open(actor=survey.owner, survey=empty)
    assert exc.value.field == "questions"


def test_question_validation(project):
    survey, _ = questionnaire(project, open_it=False)
    with pytest.raises(DomainError) as exc:
        services.question_add(actor=survey.owner, survey=survey, text="Pick", kind="single", choices=["only"])
    assert exc.value.field == "choices"
    with pytest.raises(DomainError):
        services.question_add(actor=survey.owner, survey=survey, text="?", kind="essay")
    services.survey_open(actor=survey.owner, survey=survey)
    with pytest.raises(DomainError):
        services.question_add(actor=survey.owner, survey=survey, text="Late?", kind="text")


def test_answer_and_interview_become_requirements_linked_to_their_source(project):
    dept = department(project, "Retail")
    survey, questions = questionnaire(project)
    response = services.survey_answer(actor=member(project, "staff", department=dept), survey=survey,
                                      answers=good_answers(questions))
    answer = response.answers.get(question=questions[0])
    r = services.requirement_from_answer(actor=survey.owner, answer=answer)
    assert (r.source_answer, r.department, r.title, r.status) == (answer, dept, "Month-end runs all night", "draft")
    _, interview = interview_round(project)
    r2 = services.requirement_from_interview(actor=survey.owner, interview=interview)
    assert r2.source_interview == interview and r2.title == "Tellers need one screen."


def test_interviews_only_on_interview_rounds(project):
    survey, _ = questionnaire(project)
    with pytest.raises(DomainError):
        services.interview_record(actor=survey.owner, survey=survey, interviewees="X", held_on=timezone.localdate(),
                                  notes="n")
    round_, _ = interview_round(project)
    with pytest.raises(DomainError) as exc:
        services.interview_record(actor=round_.owner, survey=round_, interviewees="X", held_on=timezone.localdate(),
                                  notes=" ")
    assert exc.value.field == "notes"


# --------------------------------------------------------------------------- concurrency (PostgreSQL)

@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_never_share_a_code(project):
    author = member(project, "business")
    errors, barrier = [], threading.Barrier(6)

    def create(i):
        try:
            barrier.wait(timeout=10)
            services.requirement_create(actor=author, project=project, title=f"R{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    codes = sorted(Requirement.objects.filter(project=project).values_list("code", flat=True))
    assert codes == [f"REQ-{i:03d}" for i in range(1, 7)]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_record_one_decision(project):
    r = submitted(project)
    reviewers = [member(project, "business") for _ in range(4)]
    barrier, results = threading.Barrier(4), []

    def approve(user):
        try:
            barrier.wait(timeout=10)
            services.requirement_approve(actor=user, requirement=r)
            results.append("ok")
        except DomainError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    assert RequirementReview.objects.filter(requirement=r).count() == 1


def test_submitted_at_uses_now(project):
    with freeze_time("2026-10-01 08:00"):
        r = submitted(project)
    assert timezone.now() - r.submitted_at > timedelta(days=1)


# --------------------------------------------------------------------------- withdraw

def test_author_withdraws_a_submitted_requirement_back_to_draft_with_history(project):
    r = submitted(project)
    assert r.status == "submitted" and r.submitted_at is not None
    services.requirement_withdraw(actor=r.author, requirement=r, comment="Sent too early")
    r.refresh_from_db()
    assert (r.status, r.submitted_at, r.version) == ("draft", None, 1)
    record = r.history.first()
    assert record.history_user == r.author and record.history_change_reason == "Sent too early"
    assert record.prev_record.status == "submitted"
    assert not RequirementReview.objects.exists()  # not a decision: nothing in the decisions list
    # A withdrawn draft nobody decided on is edited in place and submitted again.
    services.requirement_update(actor=r.author, requirement=r, title="Finished now")
    services.requirement_submit(actor=r.author, requirement=r)
    r.refresh_from_db()
    assert (r.status, r.version) == ("submitted", 1)


def test_manager_withdraws_someone_elses_without_a_reason(project):
    r = submitted(project)
    manager = member(project, "manager")
    services.requirement_withdraw(actor=manager, requirement=r)
    r.refresh_from_db()
    assert r.status == "draft" and r.history.first().history_user == manager
    assert r.history.first().history_change_reason is None


@pytest.mark.parametrize("role", ["business", "tester", "staff", "developer", "ops", "trainer"])
def test_only_the_author_or_a_manager_may_withdraw(project, role):
    r = submitted(project)
    with pytest.raises(DomainError) as exc:
        services.requirement_withdraw(actor=member(project, role), requirement=r)
    assert exc.value.code == "permission" and r.code in str(exc.value.message)
    r.refresh_from_db()
    assert r.status == "submitted"


def test_an_author_who_lost_the_business_role_may_not_withdraw(project):
    from projects.models import Membership

    r = submitted(project)
    Membership.objects.filter(project=project, user=r.author).update(role="staff")
    with pytest.raises(DomainError) as exc:
        services.requirement_withdraw(actor=r.author, requirement=r)
    assert exc.value.code == "permission"


@pytest.mark.parametrize("state", ["draft", "approved", "rejected", "changes_requested"])
def test_withdraw_only_while_submitted_nothing_changes(project, state):
    reviewer = member(project, "business")
    if state == "draft":
        r = requirement(project)
    elif state == "approved":
        r = approved(project, reviewer=reviewer)
    else:
        r = submitted(project)
        decide = services.requirement_reject if state == "rejected" else services.requirement_request_changes
        decide(actor=reviewer, requirement=r, comment="No")
    r.refresh_from_db()
    history = r.history.count()
    with pytest.raises(DomainError) as exc:
        services.requirement_withdraw(actor=r.author, requirement=r)
    assert exc.value.field == "status" and r.code in str(exc.value.message)
    message = str(exc.value.message)
    assert ("already" in message) if state in ("approved", "rejected") else ("nothing to withdraw" in message)
    r.refresh_from_db()
    assert r.status == state and r.history.count() == history


def test_withdraw_reason_too_long_is_refused(project):
    r = submitted(project)
    with pytest.raises(DomainError) as exc:
        services.requirement_withdraw(actor=r.author, requirement=r, comment="x" * 101)
    assert exc.value.field == "comment"
    r.refresh_from_db()
    assert r.status == "submitted"


def test_withdraw_tells_the_reviewers_the_reminder_asked_and_nobody_else(project):
    from django.utils import translation

    from notifications.models import Notification, NotificationPreference
    from notifications.services import sweep
    from projects.people import display_name
    from requirements.reminders import KIND, WITHDRAWN, WITHDRAWN_KIND

    author = member(project, "business")
    asked = member(project, "business")
    NotificationPreference.objects.update_or_create(user=asked, defaults={"language": "zh-hans"})
    fresh = submitted(project, author=author, title="Just sent")  # nobody asked about it yet
    with freeze_time(timezone.now() - timedelta(days=3)):
        r = submitted(project, author=author)
    sweep(kinds=[KIND], enqueue=False)
    assert list(Notification.objects.filter(kind=KIND).values_list("recipient", "subject_id")) == [(asked.pk, r.pk)]
    later = member(project, "business")  # joined after the reminder: was never asked
    services.requirement_withdraw(actor=author, requirement=r, comment="Wrong department")
    services.requirement_withdraw(actor=author, requirement=fresh)
    told = Notification.objects.filter(kind=WITHDRAWN_KIND)
    assert [(n.recipient_id, n.subject_id) for n in told] == [(asked.pk, r.pk)]
    note = told.get()
    assert note.message_key == f"{WITHDRAWN_KIND}.reason" and note.params["reason"] == "Wrong department"
    assert later.pk not in {n.recipient_id for n in told}
    # Stored as key + parameters: it reads in the reader's language (the message fallback in the recipient's).
    with translation.override("en"):
        assert note.text.startswith(f"{display_name(author)} withdrew {r.code}")
        assert "Wrong department" in note.text
    with translation.override("zh-hans"):
        assert note.message == note.text
    # The withdrawn one is a draft: the sweep asks nobody about it again.
    sweep(kinds=[KIND], enqueue=False)
    assert Notification.objects.filter(kind=KIND).count() == 1
    assert str(WITHDRAWN(code="REQ-1", title="t", who="w")) == "w withdrew REQ-1 “t” from review; it is a draft again."


def test_withdrawn_then_submitted_again_is_a_new_submission_for_the_reminder(project):
    from notifications.models import Notification
    from notifications.services import sweep
    from requirements.reminders import KIND, WITHDRAWN_KIND

    reviewer = member(project, "business")
    start = timezone.now()
    with freeze_time(start):
        r = submitted(project)
    with freeze_time(start + timedelta(days=3)):
        sweep(kinds=[KIND], enqueue=False)
        services.requirement_withdraw(actor=r.author, requirement=r)
    with freeze_time(start + timedelta(days=4)):
        services.requirement_submit(actor=r.author, requirement=r)
        services.requirement_withdraw(actor=r.author, requirement=r)  # before any reminder: nobody to tell
    assert Notification.objects.filter(kind=WITHDRAWN_KIND, recipient=reviewer).count() == 1
    with freeze_time(start + timedelta(days=5)):
        services.requirement_submit(actor=r.author, requirement=r)
    with freeze_time(start + timedelta(days=8)):
        sweep(kinds=[KIND], enqueue=False)
        services.requirement_withdraw(actor=r.author, requirement=r)
    assert Notification.objects.filter(kind=KIND, recipient=reviewer).count() == 2  # asked about each submission
    assert Notification.objects.filter(kind=WITHDRAWN_KIND, recipient=reviewer).count() == 2
