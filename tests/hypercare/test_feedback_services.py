"""Staff feedback: submit, the four triage paths, answering, notifications, bad input."""

import pytest

from defects.models import Defect
from hypercare import services as fs
from hypercare.models import Feedback, FeedbackStatus
from notifications.models import Notification
from projects.errors import DomainError
from tests.defects.factories import PNG, upload

pytestmark = pytest.mark.django_db


def submit(project, user, category="bug", text="The receipt shows the old branch code", **kw):
    return fs.feedback_submit(actor=user, project=project, category=category, text=text, **kw)


def test_any_member_submits_and_it_starts_new(project, users):
    for role, user in users.items():
        f = submit(project, user, text=f"from {role}")
        assert f.status == FeedbackStatus.NEW and f.submitter == user
        assert f.history.first().history_user == user


def test_outsider_cannot_submit(project, outsider):
    with pytest.raises(DomainError) as exc:
        submit(project, outsider)
    assert exc.value.code == "permission"


@pytest.mark.parametrize("kwargs,field", [
    ({"category": "rant"}, "category"), ({"text": "   "}, "text"), ({"text": "x" * 5001}, "text"),
])
def test_bad_input_is_refused_and_nothing_saved(project, users, kwargs, field):
    with pytest.raises(DomainError) as exc:
        submit(project, users["staff"], **kwargs)
    assert exc.value.field == field
    assert not Feedback.objects.exists()


def test_screenshot_content_is_checked(project, users):
    f = submit(project, users["staff"], screenshot=upload("screen.png", PNG))
    assert f.screenshot and f.screenshot_type == "image/png" and f.screenshot_name == "screen.png"
    with pytest.raises(DomainError, match="content is not image/png"):
        submit(project, users["staff"], screenshot=upload("fake.png", b"hello"))
    with pytest.raises(DomainError, match="PNG, JPEG or GIF"):
        submit(project, users["staff"], screenshot=upload("doc.pdf", b"%PDF-1.4 x"))
    assert Feedback.objects.count() == 1


def test_page_url_keeps_only_local_paths(project, users):
    assert submit(project, users["staff"], page_url="/projects/1/").page_url == "/projects/1/"
    assert submit(project, users["staff"], page_url="https://evil.example/").page_url == ""
    assert submit(project, users["staff"], page_url="//evil.example/").page_url == ""


def test_triage_into_defect_files_a_hypercare_defect(project, users):
    f = submit(project, users["staff"], category="usability", text="Tab order jumps\nmore detail")
    f = fs.feedback_triage(actor=users["manager"], feedback=f, outcome="defect", severity="major")
    d = Defect.objects.get(pk=f.defect_id)
    assert d.found_in == "hypercare" and d.severity == "major" and d.category == "usability"
    assert d.title == "Tab order jumps" and "more detail" in d.actual_result and f.key in d.steps
    assert f.status == FeedbackStatus.TRIAGED and f.outcome == "defect" and f.triaged_by == users["manager"]
    assert not Notification.objects.filter(kind="feedback_answered").exists()  # no answer yet


def test_triage_into_requirement_needs_a_note(project, users):
    f = submit(project, users["business"], category="feature")
    with pytest.raises(DomainError) as exc:
        fs.feedback_triage(actor=users["manager"], feedback=f, outcome="requirement")
    assert exc.value.field == "note"
    f.refresh_from_db()
    assert f.status == FeedbackStatus.NEW
    f = fs.feedback_triage(actor=users["manager"], feedback=f, outcome="requirement", note="Dormant report",
                           answer="Goes into release 2")
    assert f.outcome == "requirement" and f.status == FeedbackStatus.ANSWERED and f.triage_note == "Dormant report"
    assert Notification.objects.get(kind="feedback_answered").recipient == users["business"]


def test_training_need_and_closing_need_an_answer(project, users):
    for outcome, status in (("training", FeedbackStatus.ANSWERED), ("closed", FeedbackStatus.CLOSED)):
        f = submit(project, users["staff"], category="training")
        with pytest.raises(DomainError) as exc:
            fs.feedback_triage(actor=users["manager"], feedback=f, outcome=outcome)
        assert exc.value.field == "answer"
        f = fs.feedback_triage(actor=users["manager"], feedback=f, outcome=outcome, answer="See page 4")
        assert f.status == status and f.answer == "See page 4" and f.answered_by == users["manager"]
        n = Notification.objects.get(kind="feedback_answered", subject_id=f.pk)
        assert n.recipient == users["staff"] and "See page 4" in n.message and n.url.endswith(f"/feedback/{f.pk}/")


def test_only_managers_triage_and_only_once(project, users):
    f = submit(project, users["staff"])
    for role in ("staff", "tester", "business", "developer"):
        with pytest.raises(DomainError) as exc:
            fs.feedback_triage(actor=users[role], feedback=f, outcome="closed", answer="no")
        assert exc.value.code == "permission"
    with pytest.raises(DomainError, match="Unknown outcome"):
        fs.feedback_triage(actor=users["manager"], feedback=f, outcome="bin")
    fs.feedback_triage(actor=users["manager"], feedback=f, outcome="defect")
    with pytest.raises(DomainError, match="already triaged"):
        fs.feedback_triage(actor=users["manager"], feedback=f, outcome="closed", answer="x")
    assert Defect.objects.count() == 1


def test_answer_after_triage_notifies_and_can_close(project, users):
    f = submit(project, users["staff"])
    with pytest.raises(DomainError, match="Triage the feedback first"):
        fs.feedback_answer(actor=users["manager"], feedback=f, answer="hi")
    fs.feedback_triage(actor=users["manager"], feedback=f, outcome="defect")
    with pytest.raises(DomainError) as exc:
        fs.feedback_answer(actor=users["staff"], feedback=f, answer="self-answer")
    assert exc.value.code == "permission"
    f = fs.feedback_answer(actor=users["manager"], feedback=f, answer="Fixed in build 2.6", close=True)
    assert f.status == FeedbackStatus.CLOSED
    assert Notification.objects.filter(kind="feedback_answered", recipient=users["staff"]).count() == 1
    with pytest.raises(DomainError, match="closed"):
        fs.feedback_answer(actor=users["manager"], feedback=f, answer="again")
