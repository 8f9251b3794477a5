"""Cutover issues: filing from the board or a step, who is told, the workflow and its refusals,
resolution time, the API (matrix, bad input, methods, constant queries) and the pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import ChannelMessage, Notification
from notifications.services import channel_create
from projects import services as project_services
from projects.errors import DomainError
from tasks import services
from tasks.models import CutoverIssue, TimelineEvent
from tests.tasks.factories import chain, run, run_step, runbook
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db

URL = "/api/v1/cutover-issues/"


@pytest.fixture
def night(project, users):
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], 3, owner=users["developer"])
    r = run(rb, users["ops"])
    return {"run": r, "steps": steps, "first": run_step(r, steps[0])}


def _file(night, actor, **kwargs):
    kwargs.setdefault("title", "CPU too high on core-db-01")
    kwargs.setdefault("severity", "sev2")
    return services.issue_file(actor=actor, run=night["run"], **kwargs)


def test_who_may_file(night, users):
    for role in ("ops", "developer", "tester", "manager"):
        assert _file(night, users[role]).opened_by == users[role]
    for role in ("business", "trainer", "staff"):
        with pytest.raises(PermissionDenied):
            _file(night, users[role])
    assert list(CutoverIssue.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4]


def test_a_sev1_calls_the_managers_and_the_person_on_call(project, night, users):
    project_services.shift_create(actor=users["manager"], project=project, user=users["tester"],
                                  starts_at=timezone.now() - timedelta(hours=1),
                                  ends_at=timezone.now() + timedelta(hours=1))
    issue = _file(night, users["ops"], title="Customers cannot log in", severity="sev1", step=night["first"])
    told = set(Notification.objects.filter(kind="cutover_issue", subject_id=issue.pk)
               .values_list("recipient__username", flat=True))
    assert told == {users["manager"].username, users["tester"].username}
    _file(night, users["ops"], title="Typo on the banner", severity="sev4")
    assert Notification.objects.filter(kind="cutover_issue").count() == 2  # a sev4 calls nobody


def test_the_owner_hears_it_is_theirs_and_the_chats_hear_of_every_issue(project, night, users):
    channel = channel_create(actor=users["manager"], project=project, name="War room", kind="wecom",
                             url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    issue = _file(night, users["ops"], owner=users["developer"])
    assert Notification.objects.filter(kind="cutover_issue_assigned", recipient=users["developer"]).count() == 1
    message = ChannelMessage.objects.get(channel=channel)
    assert "new issue #1" in message.text and issue.title in message.text
    assert TimelineEvent.objects.filter(issue=issue, kind="issue_opened").exists()


@pytest.mark.parametrize("data, field", [
    ({"severity": "critical"}, "severity"),
    ({"title": "  "}, "title"),
    ({"title": "x" * 201}, "title"),
])
def test_bad_input_is_refused_and_nothing_saved(night, users, data, field):
    with pytest.raises(DomainError) as exc:
        _file(night, users["ops"], **data)
    assert exc.value.field == field
    assert not CutoverIssue.objects.exists() and not TimelineEvent.objects.filter(kind="issue_opened").exists()


def test_owner_must_be_a_member_and_step_of_this_run(project, night, users, outsider):
    with pytest.raises(DomainError):
        _file(night, users["ops"], owner=outsider)
    other = run(night["run"].runbook, users["ops"])
    with pytest.raises(DomainError) as exc:
        _file(night, users["ops"], step=run_step(other, night["steps"][0]))
    assert exc.value.field == "step"


def test_workflow_and_resolution_time(night, users):
    with freeze_time("2026-12-05 23:10:00+08:00"):
        issue = _file(night, users["tester"], owner=users["developer"])
    with freeze_time("2026-12-05 23:15:00+08:00"):
        services.issue_transition(actor=users["developer"], issue=issue, to="mitigating", comment="added CPUs")
    with freeze_time("2026-12-05 23:52:00+08:00"):
        issue = services.issue_transition(actor=users["developer"], issue=issue, to="resolved",
                                          comment="Stopped the runaway report job")
    assert issue.resolution_minutes == 42 and issue.resolution == "Stopped the runaway report job"
    issue = services.issue_transition(actor=users["ops"], issue=issue, to="open", comment="CPU back at 95%")
    assert issue.resolved_at is None and issue.resolution_minutes is None
    issue = services.issue_transition(actor=users["ops"], issue=issue, to="resolved", comment="Index added")
    issue = services.issue_transition(actor=users["manager"], issue=issue, to="closed")
    kinds = list(TimelineEvent.objects.filter(issue=issue).order_by("id").values_list("kind", flat=True))
    assert kinds == ["issue_opened", "issue_mitigating", "issue_resolved", "issue_reopened", "issue_resolved",
                     "issue_closed"]


@pytest.mark.parametrize("path, to, comment, message", [
    ([], "closed", "", "cannot go to closed"),
    (["mitigating"], "open", "back", "cannot go to open"),
    ([], "resolved", "", "needs a comment"),
    ([("resolved", "fixed"), ("closed", "")], "open", "again", "none: it is closed"),
    ([("resolved", "fixed")], "open", "", "reopening needs a comment"),
    ([], "frozen", "", "Unknown status"),
])
def test_transitions_that_are_not_allowed(night, users, path, to, comment, message):
    issue = _file(night, users["ops"])
    for step in path:
        target, note = step if isinstance(step, tuple) else (step, "")
        issue = services.issue_transition(actor=users["ops"], issue=issue, to=target, comment=note)
    before = issue.status
    with pytest.raises(DomainError) as exc:
        services.issue_transition(actor=users["ops"], issue=issue, to=to, comment=comment)
    assert message in str(exc.value.message)
    issue.refresh_from_db()
    assert issue.status == before


def test_only_ops_managers_and_the_owner_move_an_issue(night, users):
    issue = _file(night, users["tester"], owner=users["developer"])
    with pytest.raises(PermissionDenied):
        services.issue_transition(actor=users["tester"], issue=issue, to="mitigating")
    services.issue_transition(actor=users["developer"], issue=issue, to="mitigating")


def test_raising_to_sev1_calls_people(night, users):
    issue = _file(night, users["ops"], severity="sev3")
    assert not Notification.objects.filter(kind="cutover_issue").exists()
    services.issue_update(actor=users["ops"], issue=issue, severity="sev1")
    assert Notification.objects.filter(kind="cutover_issue", recipient=users["manager"]).count() == 1


# --- API ---------------------------------------------------------------------------------------

def test_api_create_from_a_step_with_the_runbook_step_id(night, users):
    body = {"run": night["run"].pk, "step": night["steps"][0].pk, "title": "Customers cannot log in",
            "severity": "sev1", "description": "Login page times out", "owner": users["developer"].pk}
    response = api_as(users["ops"]).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["step"] == night["steps"][0].pk and data["status"] == "open" and data["number"] == 1
    assert data["opened_at"] and data["resolved_at"] is None and data["owner"] == users["developer"].pk
    moved = api_as(users["developer"]).post(f"{URL}{data['id']}/transition/",
                                            {"to": "resolved", "comment": "DB connection pool repaired"},
                                            format="json")
    assert moved.status_code == 200 and moved.json()["resolved_at"] and moved.json()["resolution_minutes"] == 0


def test_api_permission_matrix(night, users, outsider):
    body = {"run": night["run"].pk, "title": "x", "severity": "sev3"}
    assert api_as(None).post(URL, body, format="json").status_code == 401
    assert api_as(outsider).post(URL, body, format="json").status_code == 404
    for role in ("business", "trainer", "staff"):
        assert api_as(users[role]).post(URL, body, format="json").status_code == 403
    issue = _file(night, users["ops"])
    assert api_as(outsider).get(f"{URL}{issue.pk}/").status_code == 404
    assert api_as(users["staff"]).get(f"{URL}{issue.pk}/").status_code == 200
    assert api_as(users["tester"]).patch(f"{URL}{issue.pk}/", {"title": "y"}, format="json").status_code == 403
    assert api_as(users["tester"]).post(f"{URL}{issue.pk}/transition/", {"to": "mitigating"},
                                        format="json").status_code == 403
    assert api_as(users["ops"]).patch(f"{URL}{issue.pk}/", {"title": "y"}, format="json").json()["title"] == "y"
    assert api_as(users["manager"]).delete(f"{URL}{issue.pk}/").status_code == 405
    assert api_as(outsider).get(URL, {"project": night["run"].project_id}).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"severity": "blocker"}, "severity"),
    ({"title": ""}, "title"),
    ({"run": "abc"}, "run"),
    ({"run": None}, "run"),
    ({"step": 999999}, "step"),
    ({"step": "two"}, "step"),
    ({"owner": 10 ** 30}, "owner"),
    ({"owner": 999999}, "owner"),
])
def test_api_bad_input_is_400_naming_the_field(night, users, body, field):
    response = api_as(users["ops"]).post(URL, {"run": night["run"].pk, "title": "x", "severity": "sev2", **body},
                                         format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not CutoverIssue.objects.exists()


def test_api_bad_transition_is_400(night, users):
    issue = _file(night, users["ops"])
    client = api_as(users["ops"])
    assert client.post(f"{URL}{issue.pk}/transition/", {"to": "closed"}, format="json").status_code == 400
    assert client.post(f"{URL}{issue.pk}/transition/", {"to": "done"}, format="json").status_code == 400
    issue.refresh_from_db()
    assert issue.status == "open"


def test_api_list_queries_do_not_grow(night, users):
    client = api_as(users["ops"])
    _file(night, users["ops"], step=night["first"], owner=users["developer"])
    _, one = count_queries(lambda: client.get(URL, {"run": night["run"].pk}))
    for i in range(40):
        _file(night, users["ops"], title=f"Issue {i}", step=night["first"], owner=users["developer"])
    _, many = count_queries(lambda: client.get(URL, {"run": night["run"].pk}))
    assert one == many


# --- pages ----------------------------------------------------------------------------------

def test_open_sev1_flags_the_board(client, project, night, users):
    url = reverse("tasks:run", args=[project.pk, night["run"].pk])
    client.force_login(users["tester"])
    assert "open Sev 1" not in client.get(url).content.decode()
    issue = _file(night, users["ops"], title="Customers cannot log in", severity="sev1")
    partial = htmx(client, url).content.decode()
    assert "1 open Sev 1 issue" in partial and "Customers cannot log in" in partial
    services.issue_transition(actor=users["ops"], issue=issue, to="resolved", comment="pool repaired")
    assert "open Sev 1 issue" not in htmx(client, url).content.decode()


def test_filing_from_the_board_takes_two_clicks(client, project, night, users):
    client.force_login(users["ops"])
    board = client.get(reverse("tasks:run", args=[project.pk, night["run"].pk])).content.decode()
    form_url = reverse("tasks:issue_new", args=[project.pk, night["run"].pk])
    assert f'hx-get="{form_url}?step={night["steps"][0].pk}"' in board  # click 1: the step's "Issue" button
    form = htmx(client, f"{form_url}?step={night['steps'][0].pk}").content.decode()
    assert "<html" not in form and "Problem with “Step 1”" in form  # prefilled: click 2 files it
    response = client.post(form_url, {"title": "Problem with “Step 1”", "severity": "sev2",
                                      "step": night["first"].pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "reported" in response.content.decode()
    assert "cutover-changed" in response["HX-Trigger"]
    issue = CutoverIssue.objects.get()
    assert issue.step == night["first"] and issue.opened_by == users["ops"]


def test_filing_without_javascript_and_with_bad_input(client, project, night, users):
    client.force_login(users["tester"])
    url = reverse("tasks:issue_new", args=[project.pk, night["run"].pk])
    assert "<html" in client.get(url).content.decode()
    bad = client.post(url, {"title": "", "severity": "sev9"})
    assert bad.status_code == 400 and not CutoverIssue.objects.exists()
    ok = client.post(url, {"title": "Slow batch", "severity": "sev3"})
    assert ok.status_code == 302 and CutoverIssue.objects.count() == 1
    client.force_login(users["business"])
    assert client.get(url).status_code == 403


def test_step_page_offers_the_prefilled_form(client, project, night, users):
    client.force_login(users["developer"])
    page = client.get(reverse("tasks:run_step", args=[project.pk, night["run"].pk, night["steps"][0].pk]))
    assert "Problem with “Step 1”" in page.content.decode() and "File issue" in page.content.decode()
    client.force_login(users["staff"])
    page = client.get(reverse("tasks:run_step", args=[project.pk, night["run"].pk, night["steps"][0].pk]))
    assert "File issue" not in page.content.decode()


def test_issue_page_moves_it_on_and_shows_history(client, project, night, users):
    issue = _file(night, users["ops"])
    url = reverse("tasks:issue", args=[project.pk, issue.pk])
    client.force_login(users["staff"])
    page = client.get(url).content.decode()
    assert issue.title in page and "Move it on" not in page
    assert client.post(reverse("tasks:issue_transition", args=[project.pk, issue.pk]),
                       {"to": "mitigating"}).status_code == 403
    client.force_login(users["ops"])
    bad = client.post(reverse("tasks:issue_transition", args=[project.pk, issue.pk]), {"to": "resolved"})
    assert bad.status_code == 400 and "needs a comment" in bad.content.decode()
    ok = client.post(reverse("tasks:issue_transition", args=[project.pk, issue.pk]),
                     {"to": "resolved", "comment": "restarted the pool"})
    assert ok.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "resolved" and "restarted the pool" in client.get(url).content.decode()
    edit = client.post(url, {"title": "CPU too high", "severity": "sev2", "description": "", "step": "",
                             "owner": users["developer"].pk})
    assert edit.status_code == 302 and issue.history.count() >= 3


def test_issues_list_full_partial_and_constant_queries(client, project, night, users, outsider):
    url = reverse("tasks:issues", args=[project.pk, night["run"].pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["staff"])
    _file(night, users["ops"], step=night["first"], owner=users["developer"])
    assert "<html" in client.get(url).content.decode()
    assert 'id="issues"' in htmx(client, url + "?status=all").content.decode()
    _, one = count_queries(lambda: client.get(url))
    for i in range(30):
        _file(night, users["ops"], title=f"I{i}", step=night["first"], owner=users["developer"])
    _, many = count_queries(lambda: client.get(url))
    assert one == many


def test_the_rehearsal_comparison_and_the_lessons_show_the_issues(client, project, night, users):
    issue = _file(night, users["ops"], title="Customers cannot log in", severity="sev1")
    services.issue_transition(actor=users["ops"], issue=issue, to="resolved", comment="DB connection repaired")
    client.force_login(users["staff"])
    compare = client.get(reverse("tasks:compare", args=[project.pk, night["run"].runbook_id])).content.decode()
    assert "Issues per rehearsal" in compare and "Customers cannot log in" in compare
    lessons = client.get(reverse("hypercare:lessons", args=[project.pk])).content.decode()
    assert "What went wrong on the cutover runs" in lessons and "DB connection repaired" in lessons


def test_on_a_long_run_the_step_list_holds_the_steps_of_the_moment_but_any_step_is_accepted(project, users):
    from tasks.forms import STEP_SELECT_LIMIT, IssueForm
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], STEP_SELECT_LIMIT + 10)
    r = run(rb, users["ops"])
    listed = [value for value, _label in IssueForm(run=r).fields["step"].widget.choices if value]
    assert listed == [run_step(r, steps[0]).pk]  # only the first step is ready
    far = run_step(r, steps[-1])  # pending, not listed, but filing from its page names it
    form = IssueForm(run=r, initial={"step": far.pk})
    assert far.pk in [value for value, _label in form.fields["step"].widget.choices]
    bound = IssueForm({"title": "Slow", "severity": "sev3", "step": far.pk}, run=r)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["step"] == far
