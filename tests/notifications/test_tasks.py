"""Delivery, the outbox, Celery tasks and what the outbox promises (nothing lost, nothing sent twice)."""

import smtplib
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time
from kombu.exceptions import OperationalError

from notifications import delivery, queue, services, tasks
from notifications.models import EmailStatus, Notification, NotificationPreference
from notifications.reminders import SHIFT
from tests.notifications.factories import many, notification
from tests.projects.factories import ProjectFactory, ShiftFactory, UserFactory, member

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def _statuses():
    return list(Notification.objects.order_by("id").values_list("email_status", flat=True))


def test_outbox_sends_each_pending_email_once_and_marks_it_sent(mailoutbox):
    user = UserFactory(email="ops@bank.example")
    rows = many(user, 3, url="/projects/1/")
    report = delivery.deliver_outbox()
    assert (report.sent, report.emails) == (3, 3)
    assert [m.to for m in mailoutbox] == [["ops@bank.example"]] * 3
    assert _statuses() == [EmailStatus.SENT] * 3
    assert all(n.email_sent_at for n in Notification.objects.all())
    assert delivery.deliver_outbox().sent == 0 and len(mailoutbox) == 3  # nothing twice
    assert delivery.deliver_email(notification_id=rows[0].pk) is False


def test_email_has_plain_text_and_html_with_absolute_link(mailoutbox, settings):
    settings.SITE_URL = "https://liftoff.bank.example"
    user = UserFactory(first_name="Wei", last_name="Zhang")
    notification(user, kind=SHIFT, message="You are on call for CBS from 20:00.", url="/projects/3/team/rota/")
    delivery.deliver_outbox()
    message = mailoutbox[0]
    assert message.subject == "[Liftoff] On-call shift starting: You are on call for CBS from 20:00."
    assert "Hello Wei Zhang" in message.body and "https://liftoff.bank.example/projects/3/team/rota/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'href="https://liftoff.bank.example/projects/3/team/rota/"' in html


def test_long_subject_is_cut_on_a_word_with_an_ellipsis(mailoutbox):
    notification(UserFactory(), message="Defect “Interest rounded to 3 decimals instead of 2 on Deposit account "
                                         "opening” (Critical) was assigned to you.\nSecond line")
    delivery.deliver_outbox()
    subject = mailoutbox[0].subject
    assert subject.endswith("…") and "Second line" not in subject and len(subject) < 130


def test_email_in_chinese_for_a_chinese_speaking_recipient(mailoutbox):
    user = UserFactory(first_name="伟", last_name="张")
    NotificationPreference.objects.create(user=user, language="zh-hans")
    notification(user, kind=SHIFT, message="值班提醒")
    delivery.deliver_outbox()
    message = mailoutbox[0]
    assert message.subject.startswith("[Liftoff] 值班即将开始")
    assert "张伟，您好" in message.body and "查看全部通知" in message.body
    assert 'lang="zh-hans"' in message.alternatives[0][0]


def test_smtp_failure_leaves_it_pending_with_backoff_then_it_is_retried(mailoutbox):
    user = UserFactory()
    n = notification(user)
    with freeze_time(NOW), mock.patch.object(EmailBackend, "send_messages",
                                             side_effect=smtplib.SMTPServerDisconnected("gone")):
        report = delivery.deliver_outbox()
    n.refresh_from_db()
    assert report.failed == 1 and report.sent == 0
    assert (n.email_status, n.email_sent_at, n.email_attempts) == (EmailStatus.PENDING, None, 1)
    assert n.email_next_attempt_at == NOW + timedelta(minutes=1) and "gone" in n.email_error
    with freeze_time(NOW + timedelta(seconds=30)):
        assert delivery.deliver_outbox().sent == 0  # still backing off
    with freeze_time(NOW + timedelta(minutes=2)):
        assert delivery.deliver_outbox().sent == 1
    n.refresh_from_db()
    assert n.email_status == EmailStatus.SENT and len(mailoutbox) == 1


def test_backoff_is_exponential_and_bounded_then_gives_up_without_marking_sent():
    assert [delivery.backoff(a).total_seconds() for a in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert delivery.backoff(20).total_seconds() == delivery.BACKOFF_MAX_SECONDS
    n = notification(UserFactory())
    Notification.objects.filter(pk=n.pk).update(email_attempts=delivery.MAX_ATTEMPTS - 1)
    with mock.patch.object(EmailBackend, "send_messages", side_effect=OSError("connection refused")):
        with pytest.raises(delivery.DeliveryFailed):
            delivery.deliver_email(notification_id=n.pk)
    n.refresh_from_db()
    assert n.email_status == EmailStatus.FAILED and n.email_sent_at is None


def test_a_row_that_cannot_be_rendered_does_not_block_the_others(mailoutbox, monkeypatch):
    bad, good = notification(UserFactory()), notification(UserFactory())
    real = delivery.build_email

    def build(notifications, **kwargs):
        if notifications[0].pk == bad.pk:
            raise ValueError("template bug")
        return real(notifications, **kwargs)

    monkeypatch.setattr(delivery, "build_email", build)
    report = delivery.deliver_outbox()
    assert (report.sent, report.failed) == (1, 1)
    bad.refresh_from_db()
    assert bad.email_status == EmailStatus.PENDING and bad.email_attempts == 1 and "template bug" in bad.email_error
    assert [m.to for m in mailoutbox] == [[good.recipient.email]]


def test_task_retries_with_the_backoff_on_smtp_errors():
    n = notification(UserFactory())
    with mock.patch.object(EmailBackend, "send_messages", side_effect=smtplib.SMTPException("421 busy")), \
            mock.patch.object(tasks.deliver_notification, "retry", side_effect=RuntimeError("retry")) as retry:
        with pytest.raises(RuntimeError):
            tasks.deliver_notification.run(n.pk)
    assert retry.call_args.kwargs["countdown"] == 65
    n.refresh_from_db()
    assert n.email_status == EmailStatus.PENDING and n.email_attempts == 1


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: the code stops mid-way, nothing after runs."""


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(mailoutbox):
    user = UserFactory()
    many(user, 5)
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def dies_on_third(self, messages):
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkerKilled
        return real_send(self, messages)

    with mock.patch.object(EmailBackend, "send_messages", dies_on_third), pytest.raises(WorkerKilled):
        delivery.deliver_outbox()
    assert _statuses() == [EmailStatus.SENT] * 2 + [EmailStatus.PENDING] * 3  # the 3rd rolled back
    delivery.deliver_outbox()  # the next sweep's outbox run
    assert _statuses() == [EmailStatus.SENT] * 5
    assert len(mailoutbox) == 5
    assert len({m.subject for m in mailoutbox}) >= 1 and len(mailoutbox) == Notification.objects.count()


def test_broker_down_keeps_the_notification_and_the_command_delivers_it(mailoutbox, monkeypatch, client,
                                                                        django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(queue, "send_task", broker_down)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.notify(recipient=user, kind="step_ready", message="Step ready", dedupe_key="down-1")
        services.sweep(kinds=[])
    assert _statuses() == [EmailStatus.PENDING] and mailoutbox == []
    client.force_login(user)
    assert client.get("/notifications/").status_code == 200  # pages still answer
    call_command("send_reminders", stdout=mock.Mock())
    assert _statuses() == [EmailStatus.SENT] and len(mailoutbox) == 1


@freeze_time(NOW)
def test_send_reminders_command_sweeps_and_sends(mailoutbox):
    project = ProjectFactory(go_live_at=NOW + timedelta(days=20), window_start=NOW + timedelta(days=19),
                             window_end=NOW + timedelta(days=20))
    ops = member(project, "ops")
    ShiftFactory(project=project, user=ops, starts_at=NOW + timedelta(hours=6))
    call_command("send_reminders", stdout=mock.Mock())
    call_command("send_reminders", stdout=mock.Mock())
    assert Notification.objects.filter(kind=SHIFT, recipient=ops, email_status=EmailStatus.SENT).count() == 1
    assert [m.to for m in mailoutbox] == [[ops.email]]


def test_sweep_task_and_outbox_task_call_the_services(mailoutbox, queued):
    notification(UserFactory())
    assert "new notification" in tasks.sweep.run()
    assert "1 e-mail(s)" in tasks.deliver_outbox.run()


# --- preferences ----------------------------------------------------------------------------

def test_opted_out_muted_kind_and_no_address_are_skipped_not_sent(mailoutbox):
    off, muted, nomail, normal = UserFactory(), UserFactory(), UserFactory(email=""), UserFactory()
    NotificationPreference.objects.create(user=off, email_enabled=False)
    NotificationPreference.objects.create(user=muted, muted_kinds=["noisy"])
    for user in (off, muted, nomail):
        notification(user, kind="noisy")
    notification(normal, kind="noisy")
    notification(muted, kind="important")
    report = delivery.deliver_outbox()
    assert (report.skipped, report.sent) == (3, 2)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([normal.email, muted.email])
    skipped = Notification.objects.filter(email_status=EmailStatus.SKIPPED)
    assert skipped.count() == 3 and not skipped.filter(email_sent_at__isnull=False).exists()
    assert Notification.objects.filter(recipient=off, read_at__isnull=True).exists()  # in-app always


def test_quiet_hours_defer_email_until_they_end(mailoutbox):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, quiet_start=time(22), quiet_end=time(7))
    late_evening = datetime(2027, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    with freeze_time(late_evening):
        n = notification(user)
        assert delivery.deliver_outbox().deferred == 1
    n.refresh_from_db()
    assert timezone.localtime(n.email_next_attempt_at).time() == time(7) and mailoutbox == []
    with freeze_time(late_evening + timedelta(hours=7)):  # 06:30
        delivery.deliver_outbox()
        assert mailoutbox == []
    with freeze_time(late_evening + timedelta(hours=7, minutes=31)):  # 07:01
        assert delivery.deliver_outbox().sent == 1
    assert len(mailoutbox) == 1


def test_daily_digest_sends_one_email_at_the_chosen_hour(mailoutbox):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, email_mode="digest", digest_hour=8)
    with freeze_time(NOW):  # 10:00 local: today's digest is past, so tomorrow 08:00
        many(user, 2)
        delivery.deliver_outbox()
    with freeze_time(NOW + timedelta(hours=20)):  # 06:00 next day
        notification(user)
        delivery.deliver_outbox()
        assert mailoutbox == []
    with freeze_time(NOW + timedelta(hours=22, minutes=1)):  # 08:01
        report = delivery.deliver_outbox()
    assert (report.emails, report.sent) == (1, 3)
    assert len(mailoutbox) == 1 and "3 notifications" in mailoutbox[0].subject
    assert _statuses() == [EmailStatus.SENT] * 3


def test_setup_schedules_installs_the_sweep():
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules", stdout=mock.Mock())
    task = PeriodicTask.objects.get(task="notifications.tasks.sweep")
    assert task.crontab.minute == "*/5"
