"""Rendered pages kept per reader until the project changes (projects.pagecache): what is served again, what
never is (another reader's page, a stale page after a change, the CSRF token, a flash message), and that
the cache being off or down only means computing."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from defects.models import Defect
from projects import freshness
from tests.defects.factories import file_defect
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANY_TOKEN = re.compile(r'(?<=value=")[A-Za-z0-9]{64}|(?<="X-CSRFToken": ")[A-Za-z0-9]{64}')


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE = True  # the suite runs with it off, so that query counts measure the work


def _board(project):
    return reverse("defects:board", args=[project.pk])


def test_a_reread_is_served_from_the_cache(client, project, users):
    file_defect(project, users["tester"], title="Interest rounds wrong")
    client.force_login(users["manager"])
    first, computed = count_queries(lambda: client.get(_board(project)), warm_up=False)
    again, served = count_queries(lambda: client.get(_board(project)), warm_up=False)
    assert first.status_code == again.status_code == 200
    assert "Interest rounds wrong" in again.content.decode()
    # session, user, project with the reader's roles, the bell's count: nothing of the board itself
    assert served <= 4 < computed
    assert ANY_TOKEN.sub("", first.content.decode()) == ANY_TOKEN.sub("", again.content.decode())


def test_an_audited_change_shows_at_once(client, project, users):
    client.force_login(users["manager"])
    assert "Teller screen freezes" not in client.get(_board(project)).content.decode()
    file_defect(project, users["tester"], title="Teller screen freezes")  # history → a new project version
    assert "Teller screen freezes" in client.get(_board(project)).content.decode()


def test_a_change_without_history_shows_within_the_ttl(client, project, users):
    d = file_defect(project, users["tester"], title="Old title")
    client.force_login(users["manager"])
    client.get(_board(project))
    Defect.objects.filter(pk=d.pk).update(title="New title")  # a bulk path: no history, no bump
    assert "Old title" in client.get(_board(project)).content.decode()  # kept, for at most the TTL…
    freshness.bump(project.pk)  # …as if it had expired
    assert "New title" in client.get(_board(project)).content.decode()


def test_one_readers_page_is_never_served_to_another(project, users):
    file_defect(project, users["tester"], title="Shared defect")
    pm, tester = Client(), Client()
    pm.force_login(users["manager"])
    tester.force_login(users["tester"])
    pm_page = pm.get(_board(project)).content.decode()
    tester_page = tester.get(_board(project)).content.decode()
    assert users["manager"].get_full_name() in pm_page and users["manager"].get_full_name() not in tester_page
    assert users["tester"].get_full_name() in tester_page


def test_outsiders_still_get_404_when_a_member_has_the_page_cached(client, project, users, outsider):
    client.force_login(users["manager"])
    assert client.get(_board(project)).status_code == 200
    client.force_login(outsider)
    assert client.get(_board(project)).status_code == 404


def test_the_csrf_token_is_the_readers_own_and_works(project, users):
    d = file_defect(project, users["tester"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["manager"])
    browser.get(_board(project))
    cached = browser.get(_board(project)).content.decode()
    tokens = set(TOKEN.findall(cached))
    assert tokens and "Placeholder" not in cached
    response = browser.post(reverse("defects:transition", args=[project.pk, d.pk]),
                            {"to": "open", "from": "board", "csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == "open"


def test_language_and_htmx_pieces_are_kept_apart(client, project, users):
    client.force_login(users["manager"])
    english = client.get(_board(project)).content.decode()
    part = htmx(client, _board(project)).content.decode()
    assert "<html" in english and "<html" not in part and 'id="board"' in part
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(_board(project)).content.decode()
    assert 'lang="zh-hans"' in chinese and "缺陷" in chinese and '<html lang="en"' in english


def test_a_page_with_a_flash_message_is_built_for_it_and_not_kept(rf, users):
    from django.contrib import messages
    from django.contrib.messages.storage.fallback import FallbackStorage

    from projects import pagecache

    request = rf.get("/")
    request.user, request.session = users["manager"], {}
    request._messages = FallbackStorage(request)
    assert pagecache._cacheable(request)
    messages.success(request, "Saved")
    assert not pagecache._cacheable(request)
    assert [str(m) for m in request._messages] == ["Saved"]  # asking did not consume it


def test_a_new_notification_rebuilds_the_bell(client, project, users):
    from notifications.models import Notification

    client.force_login(users["manager"])
    before = client.get(_board(project)).content.decode()
    assert "notif-count" not in before
    Notification.objects.create(recipient=users["manager"], project=project, kind="status_report",
                                message="Weekly report", dedupe_key="t1")
    assert "notif-count" in client.get(_board(project)).content.decode()


def test_off_or_down_means_computed(client, project, users, settings, monkeypatch):
    client.force_login(users["manager"])
    _r, computed = count_queries(lambda: client.get(_board(project)))
    settings.PAGE_CACHE = False
    _r, off = count_queries(lambda: client.get(_board(project)))
    settings.PAGE_CACHE = True
    monkeypatch.setattr(freshness, "version", lambda project_id, areas=None: "")  # what a cache outage reads as
    _r, down = count_queries(lambda: client.get(_board(project)))
    assert off > 4 and down > 4 and computed <= 4


def test_a_change_elsewhere_keeps_the_page_and_the_top_bar_count_follows(client, project, users):
    """The board shows defects: a course added in training keeps it cached, unless the course changes
    the manager's "my work" count in its top bar (a course to take), which is then the new one."""
    from training.services import course_create

    d = file_defect(project, users["tester"], title="Old title")
    client.force_login(users["manager"])
    count = re.compile(r'mywork-link[^>]*title="(\d+)')
    before = int(count.search(client.get(_board(project)).content.decode()).group(1))
    Defect.objects.filter(pk=d.pk).update(title="Quiet title")  # no history: the cached board keeps the old
    course_create(actor=users["manager"], project=project, title="Teller basics", required_roles=["staff"])
    page = client.get(_board(project)).content.decode()
    assert "Old title" in page and int(count.search(page).group(1)) == before  # not the board's business
    course_create(actor=users["manager"], project=project, title="Managing a launch", required_roles=["manager"])
    page = client.get(_board(project)).content.decode()
    assert int(count.search(page).group(1)) == before + 1 and "Quiet title" in page  # built again for it
