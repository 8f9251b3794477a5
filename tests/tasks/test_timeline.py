"""The war-room timeline: step events, issues and status updates in time order; updates posted by
ops and managers reach the timeline and the chat channels; the board polls it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from notifications.models import ChannelMessage
from notifications.services import channel_create
from projects.errors import DomainError
from tasks import services
from tasks.models import TimelineEvent
from tests.tasks.factories import chain, run, run_step, runbook
from tests.utils import api_as, count_queries, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def night(project, users):
    rb = runbook(project, users["ops"])
    steps = chain(rb, users["ops"], 3)
    return {"run": run(rb, users["ops"]), "steps": steps}


def _play_some(night, users):
    r = night["run"]
    t = r.planned_start
    first, second = run_step(r, night["steps"][0]), run_step(r, night["steps"][1])
    services.runstep_start(actor=users["ops"], run_step=first, now=t)
    services.runstep_complete(actor=users["ops"], run_step=first, now=t + timedelta(minutes=10), note="ok")
    services.runstep_start(actor=users["ops"], run_step=second, now=t + timedelta(minutes=11))
    services.issue_file(actor=users["tester"], run=r, title="CPU too high", severity="sev2", step=second,
                        now=t + timedelta(minutes=12))
    services.runstep_fail(actor=users["ops"], run_step=second, note="timeout", now=t + timedelta(minutes=15))
    services.run_post_update(actor=users["manager"], run=r, text="Retrying the migration at 23:30",
                             now=t + timedelta(minutes=16))
    services.runstep_start(actor=users["ops"], run_step=second, now=t + timedelta(minutes=17))


def test_the_timeline_is_every_event_in_time_order(night, users):
    _play_some(night, users)
    events = list(TimelineEvent.objects.filter(run=night["run"]).order_by("at", "id").values_list("kind", "text"))
    assert events == [("step_started", ""), ("step_done", "ok"), ("step_started", ""), ("issue_opened", ""),
                      ("step_failed", "timeout"), ("update", "Retrying the migration at 23:30"),
                      ("step_started", "attempt 2")]


def test_updates_are_for_ops_and_managers_and_reach_the_chats(project, night, users):
    channel = channel_create(actor=users["manager"], project=project, name="War room", kind="wecom",
                             url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    for role in ("developer", "tester", "staff"):
        with pytest.raises(PermissionDenied):
            services.run_post_update(actor=users[role], run=night["run"], text="x")
    with pytest.raises(DomainError):
        services.run_post_update(actor=users["ops"], run=night["run"], text="   ")
    with pytest.raises(DomainError):
        services.run_post_update(actor=users["ops"], run=night["run"], text="x" * 2001)
    assert not TimelineEvent.objects.exists() and not ChannelMessage.objects.exists()
    services.run_post_update(actor=users["ops"], run=night["run"], text="Data migration 60% done")
    assert "Data migration 60% done" in ChannelMessage.objects.get(channel=channel).text


def test_api_timeline_and_updates(project, night, users, outsider):
    _play_some(night, users)
    url = f"/api/v1/runs/{night['run'].pk}/timeline/"
    assert api_as(outsider).get(url).status_code == 404
    data = api_as(users["staff"]).get(url).json()
    assert data["count"] == 7 and [e["kind"] for e in data["results"]][:2] == ["step_started", "step_done"]
    assert data["results"][0]["step"] == night["steps"][0].pk and data["results"][3]["issue_number"] == 1
    ats = [e["at"] for e in data["results"]]
    assert ats == sorted(ats)
    updates = f"/api/v1/runs/{night['run'].pk}/updates/"
    assert api_as(users["tester"]).post(updates, {"text": "x"}, format="json").status_code == 403
    assert api_as(outsider).post(updates, {"text": "x"}, format="json").status_code == 404
    bad = api_as(users["ops"]).post(updates, {"text": ""}, format="json")
    assert bad.status_code == 400 and "text" in bad.json()
    assert api_as(users["ops"]).post(updates, {"text": "x" * 2001}, format="json").status_code == 400
    ok = api_as(users["ops"]).post(updates, {"text": "Switching network now"}, format="json")
    assert ok.status_code == 201 and ok.json()["kind"] == "update" and ok.json()["actor"] == users["ops"].pk
    assert api_as(users["ops"]).get(updates).status_code == 405


def test_api_timeline_queries_do_not_grow(night, users):
    client = api_as(users["ops"])
    services.run_post_update(actor=users["ops"], run=night["run"], text="first")
    url = f"/api/v1/runs/{night['run'].pk}/timeline/"
    _, one = count_queries(lambda: client.get(url))
    _play_some(night, users)
    for i in range(30):
        services.run_post_update(actor=users["ops"], run=night["run"], text=f"update {i}")
    _, many = count_queries(lambda: client.get(url))
    assert one == many


def test_board_shows_and_polls_the_timeline(client, project, night, users):
    _play_some(night, users)
    url = reverse("tasks:timeline", args=[project.pk, night["run"].pk])
    client.force_login(users["staff"])
    board = client.get(reverse("tasks:run", args=[project.pk, night["run"].pk])).content.decode()
    assert 'id="timeline-feed"' in board and "Retrying the migration" in board and "Post update" not in board
    feed = htmx(client, url).content.decode()
    assert "<html" not in feed and feed.lstrip().startswith('<ol class="timeline-feed" id="timeline-feed"')
    assert "<html" in client.get(url).content.decode()
    _, one = count_queries(lambda: htmx(client, url))
    for i in range(30):
        services.run_post_update(actor=users["ops"], run=night["run"], text=f"update {i}")
    _, many = count_queries(lambda: htmx(client, url))
    assert one == many


def test_posting_an_update_from_the_board(client, project, night, users):
    url = reverse("tasks:timeline", args=[project.pk, night["run"].pk])
    client.force_login(users["tester"])
    assert client.post(url, {"text": "hello"}).status_code == 403
    client.force_login(users["ops"])
    assert "Post update" in client.get(reverse("tasks:run", args=[project.pk, night["run"].pk])).content.decode()
    bad = client.post(url, {"text": ""}, headers={"HX-Request": "true"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    assert client.post(url, {"text": ""}).status_code == 400
    response = client.post(url, {"text": "Batch stopped, backups running"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Batch stopped, backups running" in response.content.decode()
    assert 'id="timeline"' in response.content.decode() and "cutover-changed" in response["HX-Trigger"]
    assert client.post(url, {"text": "No JS"}).status_code == 302
    assert TimelineEvent.objects.filter(kind="update").count() == 2
