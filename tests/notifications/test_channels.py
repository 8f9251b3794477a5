"""Chat-robot channels against a real local HTTP server that checks each platform's signature:
every message arrives once, signed right, within the rate limit (digests beyond it), nothing is
lost when the endpoint is down, and the secret is never shown back."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import robots as robot_delivery
from notifications import services
from notifications.models import Channel, ChannelMessage, ChannelMessageStatus, ChannelSend
from projects.errors import DomainError
from tests.utils import api_as, count_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels/"


def _channel(project, actor, robots, kind, **kwargs):
    url = {"wecom": robots.wecom_url, "dingtalk": robots.dingtalk_url, "feishu": robots.feishu_url,
           "webhook": robots.webhook_url}[kind]
    secret = {"wecom": "", "dingtalk": "SECding", "feishu": "feishu-secret", "webhook": "hook-secret"}[kind]
    kwargs.setdefault("secret", secret)
    return services.channel_create(actor=actor, project=project, name=f"{kind} room", kind=kind, url=url, **kwargs)


def _say(project, n=1, kind="cutover_update", key="evt"):
    for i in range(n):
        services.broadcast(project=project, kind=kind, message=f"Update {i + 1}", dedupe_key=f"{key}:{i}",
                           url=f"/projects/{project.pk}/cutover/")


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_each_platform_receives_one_correctly_signed_message(project, users, robots, kind):
    channel = _channel(project, users["manager"], robots, kind)
    _say(project)
    report = robot_delivery.deliver_channel(channel_id=channel.pk)
    assert report.sent == 1 and report.failed == 0
    texts = robots.texts(kind)
    assert len(texts) == 1 and "Update 1" in texts[0] and f"Liftoff · {project.code}" in texts[0]
    assert f"/projects/{project.pk}/cutover/" in texts[0]  # the link back, absolute
    assert robots.rejected == []
    message = ChannelMessage.objects.get(channel=channel)
    assert message.status == ChannelMessageStatus.SENT and message.sent_at is not None and message.send.ok
    # Delivering again sends nothing: it went out once.
    assert robot_delivery.deliver_channel(channel_id=channel.pk).sends == 0
    assert len(robots.texts(kind)) == 1


@pytest.mark.parametrize("kind", ["dingtalk", "feishu", "webhook"])
def test_a_wrong_secret_is_refused_and_the_message_waits(project, users, robots, kind):
    channel = _channel(project, users["manager"], robots, kind, secret="not-the-secret")
    _say(project)
    now = timezone.now()
    report = robot_delivery.deliver_channel(channel_id=channel.pk, now=now)
    assert report.sent == 0 and report.failed == 1 and robots.texts() == [] and len(robots.rejected) == 1
    message = ChannelMessage.objects.get(channel=channel)
    assert message.status == ChannelMessageStatus.PENDING and message.attempts == 1 and message.error
    assert message.next_attempt_at == now + timedelta(minutes=1)  # back-off, then again
    services.channel_update(actor=users["manager"], channel=channel, secret=robots.secrets[kind])
    assert robot_delivery.deliver_channel(channel_id=channel.pk, now=now + timedelta(seconds=30)).sends == 0
    assert robot_delivery.deliver_channel(channel_id=channel.pk, now=now + timedelta(minutes=1)).sent == 1
    assert len(robots.texts(kind)) == 1


def test_endpoint_down_loses_nothing_and_sends_nothing_twice(project, users, robots):
    channel = _channel(project, users["manager"], robots, "wecom")
    _say(project, 3)
    robots.fail_with = 503
    now = timezone.now()
    report = robot_delivery.deliver_channel(channel_id=channel.pk, now=now)
    assert report.failed == 1 and report.sends == 1  # it stops at the first failure: the endpoint is down
    assert ChannelMessage.objects.filter(channel=channel, status=ChannelMessageStatus.PENDING).count() == 3
    robots.fail_with = None
    later = now + timedelta(minutes=2)
    assert robot_delivery.deliver_channel(channel_id=channel.pk, now=later).sent == 3
    assert [t.split("] ")[1].splitlines()[0] for t in robots.texts()] == ["Update 1", "Update 2", "Update 3"]


def test_an_unreachable_address_is_recorded_not_raised(project, users):
    channel = services.channel_create(actor=users["manager"], project=project, name="Gone", kind="wecom",
                                      url="http://127.0.0.1:9/cgi-bin/webhook/send?key=x")
    _say(project)
    report = robot_delivery.deliver_channel(channel_id=channel.pk)
    assert report.failed == 1 and "Error" in ChannelMessage.objects.get(channel=channel).error
    assert ChannelSend.objects.get(channel=channel).ok is False


def test_after_eight_failures_the_message_is_failed(project, users, robots):
    channel = _channel(project, users["manager"], robots, "wecom")
    _say(project)
    robots.fail_with = 500
    now = timezone.now()
    for _attempt in range(robot_delivery.MAX_ATTEMPTS):
        robot_delivery.deliver_channel(channel_id=channel.pk, now=now)
        now += timedelta(hours=1)
    message = ChannelMessage.objects.get(channel=channel)
    assert message.status == ChannelMessageStatus.FAILED and message.attempts == robot_delivery.MAX_ATTEMPTS


def test_rate_limit_makes_a_digest_of_what_would_exceed_it(project, users, robots):
    """WeCom allows 20 a minute: 25 messages go as 19 alone and one digest of the other 6."""
    channel = _channel(project, users["manager"], robots, "wecom")
    _say(project, 25)
    now = timezone.now()
    report = robot_delivery.deliver_channel(channel_id=channel.pk, now=now)
    assert report.sends == 20 and report.sent == 25 and report.digests == 1
    texts = robots.texts("wecom")
    assert len(texts) == 20
    digest = texts[-1]
    assert "6 updates, sent together" in digest and all(f"Update {i}" in digest for i in range(20, 26))
    assert ChannelSend.objects.filter(channel=channel, digest=True).get().messages == 6
    # The minute is used up: the next message waits for the window, then goes out alone.
    _say(project, 1, key="late")
    report = robot_delivery.deliver_channel(channel_id=channel.pk, now=now + timedelta(seconds=30))
    assert report.sends == 0 and report.wait_until == now + timedelta(minutes=1)
    assert robot_delivery.deliver_channel(channel_id=channel.pk, now=now + timedelta(seconds=61)).sent == 1
    assert len(robots.texts("wecom")) == 21


def test_feishu_keeps_five_a_second(project, users, robots):
    channel = _channel(project, users["manager"], robots, "feishu")
    _say(project, 7)
    now = timezone.now()
    report = robot_delivery.deliver_channel(channel_id=channel.pk, now=now)
    assert report.sends == 5 and report.wait_until == now + timedelta(seconds=1)
    report = robot_delivery.deliver_channel(channel_id=channel.pk, now=now + timedelta(seconds=1))
    assert report.sends == 2 and report.digests == 0  # the minute has room: they go alone
    assert len(robots.texts("feishu")) == 7


def test_the_task_comes_back_when_the_rate_limit_frees(project, users, robots, queued):
    from notifications import tasks

    channel = _channel(project, users["manager"], robots, "wecom")
    ChannelSend.objects.bulk_create([ChannelSend(channel=channel, ok=True) for _ in range(20)])
    _say(project)
    tasks.deliver_channel(channel.pk)
    name, args, countdown = queued[-1]
    assert name == "deliver_channel" and args == [channel.pk] and 1 <= countdown <= 61
    assert robots.texts() == []


def test_broadcast_follows_events_active_and_dedupe(project, users, robots, django_capture_on_commit_callbacks,
                                                   queued):
    every = _channel(project, users["manager"], robots, "wecom")
    issues_only = _channel(project, users["manager"], robots, "webhook", events=["cutover_issue"])
    off = _channel(project, users["manager"], robots, "dingtalk", active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.broadcast(project=project, kind="cutover_update", message="x", dedupe_key="k1") == 1
        assert services.broadcast(project=project, kind="cutover_issue", message="y", dedupe_key="k2") == 2
        assert services.broadcast(project=project, kind="cutover_issue", message="y", dedupe_key="k2") == 0
    assert ChannelMessage.objects.filter(channel=every).count() == 2
    assert ChannelMessage.objects.filter(channel=issues_only).count() == 1
    assert not ChannelMessage.objects.filter(channel=off).exists()
    assert ("deliver_channel", [every.pk]) in queued and ("deliver_channel", [issues_only.pk]) in queued


def test_messages_are_in_the_channels_language(project, users, robots):
    from django.utils.translation import gettext_lazy

    zh = _channel(project, users["manager"], robots, "wecom", language="zh-hans")
    en = _channel(project, users["manager"], robots, "webhook", language="en")
    services.broadcast(project=project, kind="cutover_update", message=gettext_lazy("Cutover"), dedupe_key="lang")
    assert ChannelMessage.objects.get(channel=en).text == "Cutover"
    assert ChannelMessage.objects.get(channel=zh).text == "上线切换"


def test_switched_off_channel_skips_what_waits(project, users, robots):
    channel = _channel(project, users["manager"], robots, "wecom")
    _say(project, 2)
    Channel.objects.filter(pk=channel.pk).update(active=False)
    assert robot_delivery.deliver_channel(channel_id=channel.pk).skipped == 2
    assert robots.texts() == []


# --- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field", [
    ({"url": "ftp://robots.example/hook"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"kind": "slack"}, "kind"),
    ({"kind": "wecom", "secret": "x"}, "secret"),
    ({"kind": "webhook", "secret": ""}, "secret"),
    ({"events": ["no_such_kind"]}, "events"),
    ({"language": "fr"}, "language"),
])
def test_bad_channels_are_refused_and_nothing_is_saved(project, users, changes, field):
    data = {"name": "Room", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
            "secret": "SEC1", **changes}
    with pytest.raises(DomainError) as exc:
        services.channel_create(actor=users["manager"], project=project, **data)
    assert exc.value.field == field
    assert not Channel.objects.exists()


def test_the_secret_is_not_in_the_audit_history(project, users, robots):
    channel = _channel(project, users["manager"], robots, "dingtalk")
    services.channel_update(actor=users["manager"], channel=channel, secret="SECnew")
    record = channel.history.latest()
    assert not hasattr(record, "secret") and record.secret_changed_at is not None


# --- API -----------------------------------------------------------------------------------------

def test_api_permission_matrix(project, users, outsider, robots):
    channel = _channel(project, users["manager"], robots, "wecom")
    body = {"project": project.pk, "kind": "wecom", "url": robots.wecom_url}
    assert api_as(None).get(URL).status_code == 401
    for role in ("ops", "developer", "tester", "business", "trainer", "staff"):
        client = api_as(users[role])
        assert client.get(URL, {"project": project.pk}).status_code == 403
        assert client.get(f"{URL}{channel.pk}/").status_code == 403
        assert client.post(URL, body, format="json").status_code == 403
    assert api_as(outsider).get(f"{URL}{channel.pk}/").status_code == 404
    assert api_as(outsider).post(URL, body, format="json").status_code == 404
    assert api_as(outsider).get(URL, {"project": project.pk}).status_code == 404
    assert api_as(users["manager"]).get(URL, {"project": project.pk}).status_code == 200
    assert Channel.objects.count() == 1


def test_api_create_never_shows_the_secret(project, users, robots):
    client = api_as(users["manager"])
    response = client.post(URL, {"project": project.pk, "kind": "dingtalk", "url": robots.dingtalk_url,
                                 "secret": "SECding", "events": ["cutover_issue", "alert"]}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert "secret" not in data and data["has_secret"] is True and data["name"] == "DingTalk custom robot"
    assert data["events"] == ["alert", "cutover_issue"]
    listed = client.get(URL).json()["results"][0]
    assert "secret" not in listed and "SECding" not in str(client.get(f"{URL}{data['id']}/").json())
    # PATCH without a secret keeps it; with one replaces it.
    client.patch(f"{URL}{data['id']}/", {"active": False}, format="json")
    assert Channel.objects.get(pk=data["id"]).secret == "SECding"
    client.patch(f"{URL}{data['id']}/", {"secret": "SECother"}, format="json")
    assert Channel.objects.get(pk=data["id"]).secret == "SECother"


@pytest.mark.parametrize("body, field", [
    ({"kind": "wecom", "url": "file:///etc/passwd"}, "url"),
    ({"kind": "teams", "url": "https://x.example/"}, "kind"),
    ({"kind": "wecom", "url": "https://x.example/", "events": "alert"}, "events"),
    ({"kind": "wecom", "url": "https://x.example/" + "a" * 500}, "url"),
    ({"kind": "wecom", "url": "https://x.example/", "project": "abc"}, "project"),
])
def test_api_bad_input_is_400_naming_the_field(project, users, body, field):
    response = api_as(users["manager"]).post(URL, {"project": project.pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json() and response.json()["detail"]
    assert not Channel.objects.exists()


def test_api_test_endpoint_sends_through_the_outbox(project, users, robots):
    channel = _channel(project, users["manager"], robots, "feishu")
    response = api_as(users["manager"]).post(f"{URL}{channel.pk}/test/")
    assert response.status_code == 200 and response.json()["status"] == "sent"
    assert len(robots.texts("feishu")) == 1 and "Test message from Liftoff" in robots.texts()[0]
    robots.fail_with = 500
    response = api_as(users["manager"]).post(f"{URL}{channel.pk}/test/")
    assert response.status_code == 502 and response.json()["status"] == "failed"


def test_api_list_queries_do_not_grow(project, users, robots):
    client = api_as(users["manager"])
    _channel(project, users["manager"], robots, "wecom")
    _, one = count_queries(lambda: client.get(URL))
    for i in range(30):
        services.channel_create(actor=users["manager"], project=project, name=f"Room {i}", kind="wecom",
                                url=robots.wecom_url)
    _, many = count_queries(lambda: client.get(URL))
    assert one == many


def test_api_unsupported_method_is_405(project, users, robots):
    channel = _channel(project, users["manager"], robots, "wecom")
    assert api_as(users["manager"]).put(f"{URL}{channel.pk}/test/", {}).status_code == 405


# --- two workers (PostgreSQL) ----------------------------------------------------------------

from tests.utils import requires_postgres, run_concurrently  # noqa: E402


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_message_once(robots):
    from tests.projects.factories import ProjectFactory, member

    project = ProjectFactory()
    manager = member(project, "manager")
    channel = _channel(project, manager, robots, "webhook")
    with transaction.atomic():
        _say(project, 12)
    results = run_concurrently(2, lambda i: robot_delivery.deliver_channel(channel_id=channel.pk))
    assert sum(r.sent for r in results) == 12
    texts = robots.texts("webhook")
    assert len(texts) == 12 and len(set(texts)) == 12
    assert ChannelSend.objects.filter(channel=channel).count() == 12
