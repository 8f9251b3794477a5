from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone
from freezegun import freeze_time

from notifications.registry import rules
from readiness import registry as readiness
from requirements import selectors, services
from requirements.reminders import KIND, requirements_waiting_for_review
from tests.projects.factories import member

from .factories import approved, department, good_answers, questionnaire, requirement, submitted

pytestmark = pytest.mark.django_db


def test_lists_are_limited_to_my_projects(project, other_project, users, outsider):
    mine = requirement(project)
    requirement(other_project)
    assert list(selectors.requirement_list_for_user(user=users["staff"])) == [mine]
    with pytest.raises(Http404):
        selectors.requirement_get_for_user(user=outsider, pk=mine.pk)
    with pytest.raises(Http404):
        selectors.requirement_get_for_user(user=users["staff"], pk=mine.pk, project=other_project)


def test_list_filters_and_sorts(project, users):
    retail = department(project, "Retail")
    a = requirement(project, title="Alpha passbook", priority="could", department=retail)
    b = submitted(project, title="Beta cash", priority="must")
    qs = selectors.requirement_list
    u = users["staff"]
    assert list(qs(user=u, project=project, status="submitted")) == [b]
    assert list(qs(user=u, project=project, department=str(retail.pk))) == [a]
    assert list(qs(user=u, project=project, department="none")) == [b]
    assert list(qs(user=u, project=project, q="passbook")) == [a]
    assert list(qs(user=u, project=project, sort="priority")) == [b, a]
    assert list(qs(user=u, project=project, sort="-code")) == [b, a]
    assert list(qs(user=u, project=project, sort="nonsense")) == [a, b]


def test_open_conflicts_annotation(project, users):
    a, b, c = requirement(project), requirement(project), requirement(project)
    writer = member(project, "business")
    services.conflict_create(actor=writer, first=a, second=b, note="x")
    resolved = services.conflict_create(actor=writer, first=a, second=c, note="y")
    services.conflict_resolve(actor=writer, conflict=resolved, resolution="ok")
    counts = {r.pk: r.open_conflicts for r in selectors.requirement_list_for_user(user=users["staff"])}
    assert counts == {a.pk: 1, b.pk: 1, c.pk: 0}


def test_review_queue_excludes_own_and_shows_age(project, users):
    with freeze_time(timezone.now() - timedelta(days=3)):
        old = submitted(project)
    submitted(project, author=users["business"])
    requirement(project)  # draft: not in the queue
    queue = selectors.with_age(selectors.review_queue(user=users["business"], project=project))
    assert [r.pk for r in queue] == [old.pk] and queue[0].age_days == 3


def test_progress_by_department(project):
    retail = department(project, "Retail")
    approved(project, department=retail)
    requirement(project, department=retail)
    submitted(project)
    data = selectors.progress_by_department(project=project)
    rows = {row["name"]: row for row in data["departments"]}
    assert rows["Retail"]["approved"] == 1 and rows["Retail"]["total"] == 2 and rows["Retail"]["open"] == 1
    assert rows["No department"]["submitted"] == 1
    assert data["totals"]["total"] == 3


def test_progress_by_department_narrowed_to_a_priority(project):
    retail, credit = department(project, "Retail"), department(project, "Credit")
    approved(project, department=retail, priority="must")
    requirement(project, department=credit, priority="could")
    data = selectors.progress_by_department(project=project, priority="could")
    assert [row["name"] for row in data["departments"]] == ["Credit"]
    assert data["totals"]["total"] == 1 and data["totals"]["approved"] == 0
    assert selectors.progress_by_department(project=project)["totals"]["total"] == 2


def test_version_diff_marks_changes():
    class V:
        def __init__(self, **kw):
            self.title, self.description, self.acceptance_criteria = "T", kw.get("d", ""), ""
            self.priority, self.department_name = kw.get("p", "must"), ""

    rows = {r["field"]: r for r in selectors.version_diff(old=V(d="Balance <b>in 2 s"), new=V(d="Balance <b>in 1 s",
                                                                                             p="should"))}
    assert rows["description"]["changed"] and "<del>2</del>" in rows["description"]["html"]
    assert "&lt;b&gt;" in rows["description"]["html"]  # escaped
    assert rows["priority"]["changed"] and not rows["title"]["changed"]


def test_survey_summary_and_response_rate(project):
    retail, credit = department(project, "Retail"), department(project, "Credit")
    survey, questions = questionnaire(project, departments=[retail, credit])
    tellers = [member(project, "staff", department=retail) for _ in range(4)]
    member(project, "staff", department=credit)
    for i, teller in enumerate(tellers[:3]):
        answers = good_answers(questions, text=f"pain {i}")
        answers[questions[1].pk] = ["Counter", "Mobile", "Counter"][i]
        answers[questions[3].pk] = [2, 4, 5][i]
        services.survey_answer(actor=teller, survey=survey, answers=answers)
    rate = selectors.response_rate(survey=survey)
    rows = {r["department"].name: r for r in rate["rows"]}
    assert (rows["Retail"]["people"], rows["Retail"]["responses"], rows["Retail"]["rate"]) == (4, 3, 75)
    assert (rows["Credit"]["people"], rows["Credit"]["responses"]) == (1, 0)
    assert rate["rate"] == 60
    summary = selectors.survey_summary(survey=survey)
    assert [a.text for a in summary[0]["answers"]] == ["pain 0", "pain 1", "pain 2"]
    assert summary[1]["choices"] == [{"choice": "Counter", "count": 2}, {"choice": "Mobile", "count": 1},
                                     {"choice": "Web", "count": 0}]
    assert summary[2]["choices"][0] == {"choice": "Cash", "count": 3}
    assert summary[3]["average"] == round((2 + 4 + 5) / 3, 1)


# --------------------------------------------------------------------------- readiness

def _criteria(project):
    return {e.key: e for e in readiness.evaluate(project)["criteria"]}


def test_readiness_must_approved(project):
    assert not _criteria(project)["requirements_must_approved"].passed  # nothing written yet
    approved(project, priority="must")
    requirement(project, priority="must")
    requirement(project, priority="could")  # not a must: does not count
    c = _criteria(project)["requirements_must_approved"]
    assert (c.result.value, c.passed, c.target) == (50.0, False, 100)
    rejected = submitted(project, priority="must")
    services.requirement_reject(actor=member(project, "business"), requirement=rejected, comment="out of scope")
    assert _criteria(project)["requirements_must_approved"].result.value == 50.0
    for r in project.requirements.filter(status="draft", priority="must"):
        services.requirement_submit(actor=r.author, requirement=r)
        services.requirement_approve(actor=member(project, "business"), requirement=r)
    assert _criteria(project)["requirements_must_approved"].passed


def test_readiness_conflicts(project):
    assert _criteria(project)["requirements_conflicts"].passed
    a, b = requirement(project), requirement(project)
    writer = member(project, "business")
    c = services.conflict_create(actor=writer, first=a, second=b, note="x")
    crit = _criteria(project)["requirements_conflicts"]
    assert crit.result.value == 1 and not crit.passed
    services.conflict_resolve(actor=writer, conflict=c, resolution="ok")
    assert _criteria(project)["requirements_conflicts"].passed


# --------------------------------------------------------------------------- reminders

def test_reminder_rule_is_registered():
    assert KIND in rules()


def test_waiting_requirement_reminds_department_reviewers(project):
    retail, credit = department(project, "Retail"), department(project, "Credit")
    author = member(project, "business", department=retail)
    retail_reviewer = member(project, "business", department=retail)
    credit_reviewer = member(project, "business", department=credit)
    start = timezone.now()
    with freeze_time(start):
        r = submitted(project, author=author, department=retail)
        loose = submitted(project, author=author)
    with freeze_time(start + timedelta(days=1)):
        assert list(requirements_waiting_for_review(now=timezone.now())) == []
    with freeze_time(start + timedelta(days=2, minutes=1)):
        reminders = list(requirements_waiting_for_review(now=timezone.now()))
    by_subject = {}
    for reminder in reminders:
        by_subject.setdefault(reminder.subject.pk, set()).add(reminder.recipient.pk)
    assert by_subject[r.pk] == {retail_reviewer.pk}  # the author is never asked
    assert by_subject[loose.pk] == {retail_reviewer.pk, credit_reviewer.pk}  # no department: every reviewer
    keys = [x.dedupe_key for x in reminders]
    assert len(keys) == len(set(keys))
    assert all(r.code in str(x.message) for x in reminders if x.subject.pk == r.pk)


def test_department_with_only_the_author_falls_back_to_all_reviewers(project):
    retail = department(project, "Retail")
    author = member(project, "business", department=retail)
    other = member(project, "business")
    with freeze_time(timezone.now() - timedelta(days=3)):
        submitted(project, author=author, department=retail)
    reminders = list(requirements_waiting_for_review(now=timezone.now()))
    assert [x.recipient.pk for x in reminders] == [other.pk]


def test_decided_requirements_are_not_reminded(project):
    with freeze_time(timezone.now() - timedelta(days=5)):
        approved(project)
    assert list(requirements_waiting_for_review(now=timezone.now())) == []


def test_sweep_writes_each_reminder_once_in_the_recipients_language(project):
    from notifications.models import Notification, NotificationPreference
    from notifications.services import sweep

    reviewer = member(project, "business")
    NotificationPreference.objects.update_or_create(user=reviewer, defaults={"language": "zh-hans"})
    with freeze_time(timezone.now() - timedelta(days=3)):
        r = submitted(project)
    sweep(kinds=[KIND], enqueue=False)
    sweep(kinds=[KIND], enqueue=False)
    notes = Notification.objects.filter(kind=KIND)
    assert [n.recipient for n in notes] == [reviewer]
    from django.utils import translation

    from requirements.reminders import WAITING_MESSAGE

    with translation.override("zh-hans"):
        expected = str(WAITING_MESSAGE(code=r.code, title=r.title, days=3))
    assert notes[0].message == expected and r.code in expected
