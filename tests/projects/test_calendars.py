"""Calendar feeds: the person's shifts across projects and the project's feeds (rota, milestones,
cutover window and runs, go/no-go meetings), behind a secret token; what the owner may see only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from projects import services
from projects.models import FeedToken
from tests.projects.factories import MilestoneFactory, member
from tests.tasks.factories import chain, run, runbook

pytestmark = pytest.mark.django_db


def _events(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return [c for c in Calendar.from_ical(response.content).walk("VEVENT")]


@pytest.fixture
def shift(project, users):
    start = project.window_start
    return services.shift_create(actor=users["manager"], project=project, user=users["ops"], starts_at=start,
                                 ends_at=start + timedelta(hours=12), tier="backup", note="cutover night")


def test_page_makes_addresses_and_regenerating_breaks_the_old_ones(client, project, users, shift):
    url = reverse("projects:calendars", args=[project.pk])
    client.force_login(users["ops"])
    page = client.get(url).content.decode()
    assert "Create my calendar addresses" in page and "On-call rota" in page
    client.post(url)
    token = FeedToken.objects.get(user=users["ops"]).token
    page = client.get(url).content.decode()
    for key in ("shifts", "milestones", "cutover", "gonogo"):
        assert reverse("projects:project_feed", args=[token, project.pk, key]) in page
    client.post(url)
    assert client.get(reverse("projects:my_shifts_feed", args=[token])).status_code == 404


def test_my_shifts_feed_needs_no_login(client, project, users, shift):
    token = services.feed_token_for(user=users["ops"]).token
    events = _events(client.get(reverse("projects:my_shifts_feed", args=[token])))
    assert len(events) == 1 and "Backup" in str(events[0]["summary"]) and project.code in str(events[0]["summary"])
    assert client.get(reverse("projects:my_shifts_feed", args=["nope"])).status_code == 404


def test_project_feeds(client, project, users, shift):
    MilestoneFactory(project=project, name="Go-live rehearsal done")
    rb = runbook(project, users["ops"])
    chain(rb, users["ops"], 2)
    run(rb, users["ops"])
    token = services.feed_token_for(user=users["staff"]).token
    feed = lambda key: _events(client.get(reverse("projects:project_feed", args=[token, project.pk, key])))  # noqa: E731
    assert [str(e["summary"]) for e in feed("milestones")] == [f"{project.code} · Go-live rehearsal done"]
    cutover = [str(e["summary"]) for e in feed("cutover")]
    assert cutover[0] == f"{project.code} cutover window" and "Rehearsal #1" in cutover[1]
    assert len(feed("shifts")) == 1 and feed("gonogo") == []


def test_a_feed_shows_only_what_its_owner_may_see(client, project, other_project, users, outsider):
    token = services.feed_token_for(user=outsider).token
    assert client.get(reverse("projects:project_feed", args=[token, project.pk, "shifts"])).status_code == 404
    mine = services.feed_token_for(user=users["staff"]).token
    assert client.get(reverse("projects:project_feed", args=[mine, project.pk, "nosuch"])).status_code == 404
    # A person who leaves the project loses its feeds with the old address.
    leaver = member(project, "tester")
    token = services.feed_token_for(user=leaver).token
    url = reverse("projects:project_feed", args=[token, project.pk, "milestones"])
    assert client.get(url).status_code == 200
    project.memberships.filter(user=leaver).delete()
    assert client.get(url).status_code == 404


def test_go_nogo_meetings_are_in_their_feed(client, project, users):
    from readiness import services as readiness_services

    readiness_services.gonogo_open(actor=users["manager"], project=project, title="Go/no-go for the cutover",
                                   meeting_at=timezone.now() + timedelta(days=2))
    token = services.feed_token_for(user=users["staff"]).token
    events = _events(client.get(reverse("projects:project_feed", args=[token, project.pk, "gonogo"])))
    assert [str(e["summary"]) for e in events] == [f"{project.code} · Go/no-go for the cutover"]
