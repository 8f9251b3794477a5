import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationPreference, ReminderSetting
from notifications.reminders import SHIFT, SLIPPING
from tests.notifications.factories import many, notification
from tests.projects.factories import ProjectFactory, member
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db

INBOX = reverse("notifications:inbox")


def _login(client, user):
    client.force_login(user)
    return client


# --- inbox ---------------------------------------------------------------------------------

def test_inbox_needs_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inbox_shows_only_my_notifications_unread_first(client, project, users):
    me = users["tester"]
    old_unread = notification(me, project=project, message="Old but unread")
    read = notification(me, project=project, message="Newer, already read")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    notification(users["developer"], project=project, message="Somebody else's")
    body = _login(client, me).get(INBOX).content.decode()
    assert "Somebody else" not in body
    assert body.index("Old but unread") < body.index("Newer, already read")
    assert f'id="n-{old_unread.pk}" class="notif unread"' in body


def test_inbox_full_page_and_htmx_partial_with_filters(client, project, other_project, users):
    me = users["ops"]
    member(other_project, "staff", user=me)
    notification(me, project=project, kind="step_ready", message="Step ready in project one")
    notification(me, project=other_project, kind=SHIFT, message="Shift in project two")
    _login(client, me)
    full = client.get(INBOX)
    assert b"<html" in full.content and b'id="inbox-list"' in full.content
    partial = htmx(client, INBOX, data={"project": other_project.pk})
    body = partial.content.decode()
    assert "<html" not in body and 'id="inbox-list"' in body
    assert "Shift in project two" in body and "Step ready in project one" not in body
    body = htmx(client, INBOX, data={"kind": "step_ready"}).content.decode()
    assert "Step ready in project one" in body and "Shift in project two" not in body


def test_inbox_project_filter_of_a_project_i_am_not_in_is_404(client, users, other_project):
    response = _login(client, users["staff"]).get(INBOX, {"project": other_project.pk})
    assert response.status_code == 404


def test_mark_read_htmx_returns_the_row_and_refreshes_the_bell(client, users):
    me = users["staff"]
    n = notification(me)
    response = _login(client, me).post(reverse("notifications:read", args=[n.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "notifications-changed" in response["HX-Trigger"]
    body = response.content.decode()
    assert f'id="n-{n.pk}" class="notif"' in body
    assert 'id="inbox-counts" class="muted small" hx-swap-oob="true">0 unread' in body
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_read_without_htmx_redirects_to_inbox(client, users):
    n = notification(users["staff"])
    response = _login(client, users["staff"]).post(reverse("notifications:read", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == INBOX


def test_someone_elses_notification_is_404_and_untouched(client, users):
    theirs = notification(users["developer"], url="/")
    _login(client, users["staff"])
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_needs_post(client, users):
    n = notification(users["staff"])
    assert _login(client, users["staff"]).get(reverse("notifications:read", args=[n.pk])).status_code == 405


def test_mark_all_read_htmx(client, project, users):
    me = users["business"]
    many(me, 3, project=project)
    response = _login(client, me).post(reverse("notifications:read_all"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "notifications-changed" in response["HX-Trigger"]
    assert 'id="inbox-list"' in response.content.decode()
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()


def test_open_marks_read_and_follows_only_local_links(client, users):
    me = users["staff"]
    local = notification(me, url="/projects/1/team/rota/")
    evil = notification(me, url="https://evil.example/phish")
    _login(client, me)
    response = client.get(reverse("notifications:open", args=[local.pk]))
    assert response.status_code == 302 and response["Location"] == "/projects/1/team/rota/"
    assert client.get(reverse("notifications:open", args=[evil.pk]))["Location"] == INBOX
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()


def test_badge_counts_unread_and_polls(client, users):
    me = users["staff"]
    many(me, 3)
    url = reverse("notifications:badge")
    assert client.get(url).status_code == 204  # anonymous: nothing to swap
    body = _login(client, me).get(url).content.decode()
    assert 'id="notif-bell"' in body and ">3</span>" in body and 'hx-trigger="every 60s' in body
    Notification.objects.update(read_at="2027-01-01T00:00:00Z")
    assert "notif-count" not in client.get(url).content.decode()


def test_inbox_query_count_is_the_same_for_1_and_50(client, project, users):
    me = users["staff"]
    notification(me, project=project)
    _login(client, me)
    _, few = count_queries(lambda: client.get(INBOX))
    for i in range(49):
        notification(me, project=ProjectFactory() if i % 2 else project, kind=f"kind_{i % 5}")
    response, lots = count_queries(lambda: client.get(INBOX))
    assert response.status_code == 200 and few == lots


# --- preferences ---------------------------------------------------------------------------

PREFS = reverse("notifications:preferences")


def test_preferences_page_and_save(client, users):
    me = users["staff"]
    _login(client, me)
    assert client.get(PREFS).status_code == 200
    response = client.post(PREFS, {"language": "zh-hans", "email_enabled": "on", "email_mode": "digest",
                                   "digest_hour": "7", "quiet_start": "22:00", "quiet_end": "07:00",
                                   "email_kinds": [SHIFT]})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=me)
    assert (pref.language, pref.email_mode, pref.digest_hour) == ("zh-hans", "digest", 7)
    assert SLIPPING in pref.muted_kinds and SHIFT not in pref.muted_kinds


def test_preferences_bad_input_is_400_with_message_and_nothing_saved(client, users):
    _login(client, users["staff"])
    response = client.post(PREFS, {"language": "en", "email_mode": "immediate", "digest_hour": "8",
                                   "quiet_start": "22:00"})
    assert response.status_code == 400
    assert "both a start and an end" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_preferences_need_login(client):
    assert client.get(PREFS).status_code == 302


# --- per-project reminder settings ------------------------------------------------------------

def test_reminder_settings_permission_matrix(client, project, users, outsider):
    url = reverse("notifications:reminder_settings", args=[project.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role, user in users.items():
        expected = 200 if role == "manager" else 403
        assert _login(client, user).get(url).status_code == expected, role
    assert _login(client, outsider).get(url).status_code == 404
    assert _login(client, users["ops"]).post(url, {f"{SHIFT}-kind": SHIFT}).status_code == 403


def test_manager_sets_lead_time_and_switches_a_reminder_off(client, project, users):
    url = reverse("notifications:reminder_settings", args=[project.pk])
    _login(client, users["manager"])
    page = client.get(url).content.decode()
    assert "On-call shift starting" in page and "Milestone slipping" in page
    assert f">{SHIFT}<" not in page  # the kind code is only the hidden field's value
    data = {f"{SHIFT}-kind": SHIFT, f"{SHIFT}-enabled": "on", f"{SHIFT}-lead_hours": "24",
            f"{SLIPPING}-kind": SLIPPING}
    assert client.post(url, data).status_code == 302
    assert ReminderSetting.objects.get(project=project, kind=SHIFT).lead_hours == 24
    assert ReminderSetting.objects.get(project=project, kind=SLIPPING).enabled is False


def test_reminder_settings_bad_lead_is_400_and_nothing_saved(client, project, users):
    url = reverse("notifications:reminder_settings", args=[project.pk])
    _login(client, users["manager"])
    response = client.post(url, {f"{SHIFT}-kind": SHIFT, f"{SHIFT}-enabled": "on", f"{SHIFT}-lead_hours": "0",
                                 f"{SLIPPING}-kind": SLIPPING})
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    assert not ReminderSetting.objects.exists()


def test_inbox_links_managers_to_reminder_settings(client, project, users):
    body = _login(client, users["manager"]).get(INBOX).content.decode()
    assert reverse("notifications:reminder_settings", args=[project.pk]) in body
    body = _login(client, users["staff"]).get(INBOX).content.decode()
    assert reverse("notifications:reminder_settings", args=[project.pk]) not in body


def test_bell_template_tag_renders_for_logged_in_users(rf, users):
    from django.template import Context, Template

    user = users["staff"]
    notification(user)
    request = rf.get("/")
    request.user = user
    html = Template("{% load notifications_tags %}{% notification_bell %}").render(Context({"request": request}))
    assert 'id="notif-bell"' in html and ">1</span>" in html
