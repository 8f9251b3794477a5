"""Pages of alerts, escalation policies and chat channels: full page and htmx partial, the
permission matrix, bad input, constant queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Alert, Channel, EscalationPolicy
from projects import services as project_services
from tests.utils import count_queries, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_duty(project, users):
    start = timezone.now() - timedelta(hours=1)
    project_services.shift_create(actor=users["manager"], project=project, user=users["ops"], starts_at=start,
                                  ends_at=start + timedelta(hours=8))


def _alerts_url(project):
    return reverse("notifications:alerts", args=[project.pk])


def test_alerts_page_matrix_full_and_partial(client, project, users, outsider, on_duty):
    url = _alerts_url(project)
    assert client.get(url).status_code == 302  # anonymous: to the login
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["staff"])
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode() and "Raise an alert" not in page.content.decode()
    assert client.post(url, {"title": "x", "severity": "warning"}).status_code == 403
    client.force_login(users["ops"])
    page = client.get(url).content.decode()
    assert "Raise an alert" in page and 'hx-trigger="every 15s, alerts-changed from:body"' in page
    partial = htmx(client, url).content.decode()
    assert "<html" not in partial and 'id="alert-list"' in partial


def test_raising_an_alert_from_the_page_calls_step_one(client, project, users, on_duty):
    client.force_login(users["ops"])
    response = client.post(_alerts_url(project), {"title": "Batch jobs stuck", "severity": "critical",
                                                  "source": "ops console"})
    alert = Alert.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("notifications:alert",
                                                                           args=[project.pk, alert.pk])
    assert alert.level == 1 and alert.events.filter(kind="notified", user=users["ops"]).exists()


def test_raising_with_bad_input_is_400_and_saves_nothing(client, project, users):
    client.force_login(users["ops"])
    response = client.post(_alerts_url(project), {"title": "", "severity": "catastrophic"})
    assert response.status_code == 400 and not Alert.objects.exists()


def test_acknowledge_from_the_alert_page_with_htmx(client, project, users, on_duty):
    alert, _ = services.alert_trigger(actor=users["ops"], project=project, title="CPU high", source="Zabbix")
    url = reverse("notifications:alert", args=[project.pk, alert.pk])
    client.force_login(users["staff"])
    assert "Acknowledge" not in client.get(url).content.decode()
    assert client.post(reverse("notifications:alert_action", args=[project.pk, alert.pk, "ack"])).status_code == 403
    client.force_login(users["ops"])
    assert "Acknowledge" in client.get(url).content.decode()
    response = client.post(reverse("notifications:alert_action", args=[project.pk, alert.pk, "ack"]),
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "alerts-changed" in response["HX-Trigger"]
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.next_escalation_at is None
    again = client.post(reverse("notifications:alert_action", args=[project.pk, alert.pk, "ack"]),
                        headers={"HX-Request": "true"})
    assert "acknowledged already" in again.content.decode()


def test_alerts_page_queries_do_not_grow(client, project, users, on_duty):
    client.force_login(users["ops"])
    services.alert_trigger(actor=users["ops"], project=project, title="a0")
    _, one = count_queries(lambda: client.get(_alerts_url(project)))
    for i in range(1, 25):
        services.alert_trigger(actor=users["ops"], project=project, title=f"a{i}")
    _, many = count_queries(lambda: client.get(_alerts_url(project)))
    assert one == many


def test_policies_pages(client, project, users, outsider):
    url = reverse("notifications:policies", args=[project.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(users["tester"])
    assert client.get(url).status_code == 403
    client.force_login(users["ops"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "Nights", "target_1": "", "wait_1": ""})
    assert bad.status_code == 400 and "at least one step" in bad.content.decode()
    assert client.post(url, {"name": "Nights", "target_1": "on_call_primary", "wait_1": "10",
                             "target_2": "role:manager", "wait_2": ""}).status_code == 302
    policy = EscalationPolicy.objects.get()
    assert policy.steps == [{"wait_minutes": 10, "target": "on_call_primary"},
                            {"wait_minutes": 0, "target": "role:manager"}]
    detail = reverse("notifications:policy", args=[project.pk, policy.pk])
    assert "On-call primary" in client.get(detail).content.decode()
    assert client.post(detail, {"name": "Nights", "target_1": "role:ops", "wait_1": "5"}).status_code == 302
    policy.refresh_from_db()
    assert policy.steps == [{"wait_minutes": 5, "target": "role:ops"}] and policy.history.count() == 2
    # A named person is picked in a member box (never a drop-down of every member).
    page = client.get(detail).content.decode()
    assert 'name="person_1"' in page and f'value="user:{users["manager"].pk}"' not in page
    unnamed = client.post(detail, {"name": "Nights", "target_1": "user", "wait_1": "5"})
    assert unnamed.status_code == 400 and "Name the person this step calls." in unnamed.content.decode()
    assert client.post(detail, {"name": "Nights", "target_1": "user", "person_1": users["manager"].username,
                                "wait_1": "5"}).status_code == 302
    policy.refresh_from_db()
    assert policy.steps == [{"wait_minutes": 5, "target": f"user:{users['manager'].pk}"}]
    again = client.get(detail).content.decode()
    assert users["manager"].username in again  # the saved person is shown in the box


def test_channels_pages_are_for_managers(client, project, users):
    url = reverse("notifications:channels", args=[project.pk])
    client.force_login(users["ops"])
    assert client.get(url).status_code == 403
    client.force_login(users["manager"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "Room", "kind": "wecom", "url": "ftp://x", "language": "en", "active": "on"})
    assert bad.status_code == 400 and not Channel.objects.exists()
    response = client.post(url, {"name": "Room", "kind": "dingtalk", "language": "zh-hans", "active": "on",
                                 "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SECx"})
    channel = Channel.objects.get()
    assert response.status_code == 302 and channel.secret == "SECx"
    page = client.get(reverse("notifications:channel", args=[project.pk, channel.pk])).content.decode()
    assert "SECx" not in page and "never shown" in page
    # Saving without a secret keeps it.
    client.post(reverse("notifications:channel", args=[project.pk, channel.pk]),
                {"name": "Room 2", "kind": "dingtalk", "language": "en", "url": channel.url, "active": "on"})
    channel.refresh_from_db()
    assert channel.name == "Room 2" and channel.secret == "SECx"


def test_channel_test_button_reports_the_platform_answer(client, project, users, robots):
    channel = services.channel_create(actor=users["manager"], project=project, name="Room", kind="wecom",
                                      url=robots.wecom_url)
    client.force_login(users["manager"])
    response = client.post(reverse("notifications:channel_test", args=[project.pk, channel.pk]), follow=True)
    assert "accepted the test message" in response.content.decode() and len(robots.texts("wecom")) == 1
