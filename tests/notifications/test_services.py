from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.functional import lazy
from freezegun import freeze_time

from notifications import queue, services
from notifications.models import EmailStatus, Notification, NotificationPreference, ReminderSetting
from notifications.registry import lead_time, rules
from notifications.reminders import SHIFT, SLIPPING
from projects.errors import DomainError
from projects.models import Milestone
from tests.notifications.factories import notification
from tests.projects.factories import MilestoneFactory, ProjectFactory, ShiftFactory, UserFactory, member

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
REAL_BROKER_AVAILABLE = queue.broker_available  # captured before tests/notifications/conftest.py fakes it


# --- notify -------------------------------------------------------------------------------

def test_notify_creates_pending_row_and_queues_delivery_on_commit(django_capture_on_commit_callbacks, queued):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = services.notify(recipient=user, kind="step_ready", message="Step 4 is ready", dedupe_key="k1")
    assert len(callbacks) == 1
    assert queued == [("deliver_notification", [n.pk])]
    assert n.email_status == EmailStatus.PENDING and n.read_at is None and n.email_sent_at is None


def test_notify_ignores_duplicate_dedupe_key(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = services.notify(recipient=user, kind="k", message="once", dedupe_key="same")
        second = services.notify(recipient=user, kind="k", message="twice", dedupe_key="same")
    assert first is not None and second is None
    assert Notification.objects.count() == 1 and len(callbacks) == 1


def test_message_given_to_notify_is_rendered_in_the_recipients_language():
    from django.utils.translation import gettext_lazy

    from notifications.registry import Message

    user = UserFactory()
    NotificationPreference.objects.create(user=user, language="zh-hans")
    message = Message(gettext_lazy("You are on call for {code} from {start} to {end}."), code="C", start="s", end="e")
    with translation.override("en"):
        n = services.notify(recipient=user, kind="k", message=message, dedupe_key="msg-lang")
    with translation.override("zh-hans"):
        assert n.message == str(message) != "You are on call for C from s to e."


def test_lazy_message_is_rendered_in_the_recipients_language():
    user = UserFactory()
    NotificationPreference.objects.create(user=user, language="zh-hans")
    current_language = lazy(translation.get_language, str)
    with translation.override("en"):
        n = services.notify(recipient=user, kind="k", message=current_language(), dedupe_key="lang")
    assert n.message == "zh-hans"


# --- the projects app's rules ---------------------------------------------------------------

def _project_at(now):
    return ProjectFactory(go_live_at=now + timedelta(days=20), window_start=now + timedelta(days=19),
                          window_end=now + timedelta(days=20))


@freeze_time(NOW)
def test_oncall_shift_reminds_the_person_on_duty_twelve_hours_before():
    project = _project_at(NOW)
    ops = member(project, "ops")
    soon = ShiftFactory(project=project, user=ops, starts_at=NOW + timedelta(hours=11))
    ShiftFactory(project=project, user=ops, starts_at=NOW + timedelta(hours=13))  # not yet
    ShiftFactory(project=project, user=ops, starts_at=NOW - timedelta(hours=1))  # already started
    report = services.sweep(kinds=[SHIFT], enqueue=False)
    assert report.inserted == 1
    n = Notification.objects.get()
    assert (n.recipient, n.kind, n.project, n.subject, n.due_at) == (ops, SHIFT, project, soon, soon.starts_at)
    assert "/team/rota/?week=" in n.url and project.code in n.message
    # the key's format is what rows written before an upgrade are matched by: keep it
    assert n.dedupe_key == f"{SHIFT}:{soon.pk}:{ops.pk}:202703101300"
    assert "from 2027-03-10 21:00 to" in n.message  # 13:00 UTC, shown in Asia/Shanghai
    assert (n.email_status, n.email_attempts, n.email_error, n.read_at) == (EmailStatus.PENDING, 0, "", None)


@freeze_time(NOW)
def test_project_lead_time_and_switch_apply_to_the_sweep():
    project, other = _project_at(NOW), _project_at(NOW)
    manager = member(project, "manager")
    ShiftFactory(project=project, user=member(project, "ops"), starts_at=NOW + timedelta(hours=20))
    ShiftFactory(project=other, user=member(other, "ops"), starts_at=NOW + timedelta(hours=20))
    services.reminder_setting_set(actor=manager, project=project, kind=SHIFT, lead_hours=24)
    assert lead_time(project.pk, SHIFT) == timedelta(hours=24)
    assert lead_time(other.pk, SHIFT) == timedelta(hours=12)
    services.sweep(kinds=[SHIFT], enqueue=False)
    assert list(Notification.objects.values_list("project_id", flat=True)) == [project.pk]
    # switched off: nothing new for that project
    ShiftFactory(project=project, user=member(project, "ops"), starts_at=NOW + timedelta(hours=2))
    services.reminder_setting_set(actor=manager, project=project, kind=SHIFT, enabled=False, lead_hours=24)
    assert services.sweep(kinds=[SHIFT], enqueue=False).inserted == 0


@freeze_time(NOW)
def test_milestone_slipping_tells_every_manager_once_per_new_forecast():
    project = _project_at(NOW)
    pm1, pm2 = member(project, "manager"), member(project, "manager")
    member(project, "tester")
    today = timezone.localdate()
    late = MilestoneFactory(project=project, planned_date=today - timedelta(days=1))
    forecast = MilestoneFactory(project=project, planned_date=today + timedelta(days=5),
                                forecast_date=today + timedelta(days=9))
    MilestoneFactory(project=project, planned_date=today - timedelta(days=3), actual_date=today)  # done
    MilestoneFactory(project=project, planned_date=today + timedelta(days=3))  # on track
    services.sweep(kinds=[SLIPPING], enqueue=False)
    rows = Notification.objects.filter(kind=SLIPPING)
    assert sorted((n.recipient_id, n.subject_id) for n in rows) == sorted(
        [(pm1.pk, late.pk), (pm2.pk, late.pk), (pm1.pk, forecast.pk), (pm2.pk, forecast.pk)])
    assert "4 days late" in rows.get(recipient=pm1, subject_id=forecast.pk).message
    assert services.sweep(kinds=[SLIPPING], enqueue=False).inserted == 0  # told once
    Milestone.objects.filter(pk=forecast.pk).update(forecast_date=today + timedelta(days=12))
    assert services.sweep(kinds=[SLIPPING], enqueue=False).inserted == 2  # slipped further: told again


@freeze_time(NOW)
def test_sweep_twice_creates_no_duplicates_and_queues_outbox(django_capture_on_commit_callbacks, queued):
    project = _project_at(NOW)
    for _ in range(3):
        ShiftFactory(project=project, user=member(project, "ops"), starts_at=NOW + timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.sweep(kinds=[SHIFT])
    second = services.sweep(kinds=[SHIFT], enqueue=False)
    assert (first.candidates, first.inserted) == (3, 3)
    assert (second.candidates, second.inserted) == (0, 0)  # already told: filtered out in SQL
    assert Notification.objects.count() == 3
    assert ("outbox", []) in queued


def test_a_broken_rule_does_not_stop_the_others(monkeypatch):
    from notifications import registry

    def broken(*, now):
        yield registry.Reminder(recipient=UserFactory(), kind="broken", message="x", dedupe_key="b1")
        raise RuntimeError("bug in another app")

    def fine(*, now):
        yield registry.Reminder(recipient=UserFactory(), kind="fine", message="ok", dedupe_key="f1")

    fake = {"broken": registry.Rule("broken", "Broken", broken), "fine": registry.Rule("fine", "Fine", fine)}
    monkeypatch.setattr(services, "rules", lambda: fake)
    report = services.sweep(enqueue=False)
    assert report.failed_rules == ["broken"]
    assert list(Notification.objects.values_list("dedupe_key", flat=True)) == ["f1"]  # broken one rolled back


def _fake_rules(monkeypatch, **funcs):
    from notifications import registry

    fake = {kind: registry.Rule(kind, kind, func, skips_told=skips) for kind, (func, skips) in funcs.items()}
    monkeypatch.setattr(services, "rules", lambda: fake)


@pytest.mark.parametrize("skips_told", [False, True])
def test_sweep_counts_only_rows_really_written(monkeypatch, skips_told):
    """A rule that says it skips told reminders in SQL but repeats one anyway still tells nobody
    twice, and the report counts what the database wrote, not what was attempted."""
    from notifications.registry import Reminder

    user = UserFactory()
    notification(user, dedupe_key="told")

    def rule(*, now):
        for key in ["told", "new-1", "new-2", "new-1"]:
            yield Reminder(recipient=user.pk, kind="k", message=key, dedupe_key=key)

    _fake_rules(monkeypatch, k=(rule, skips_told))
    report = services.sweep(enqueue=False)
    assert (report.candidates, report.inserted) == (4, 2)
    assert sorted(Notification.objects.values_list("dedupe_key", flat=True)) == ["new-1", "new-2", "told"]


def test_message_renders_in_each_recipients_language(monkeypatch):
    from django.utils.translation import gettext_lazy

    from notifications.registry import Message, Reminder

    chinese, english = UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=chinese, language="zh-hans")
    NotificationPreference.objects.create(user=english, language="en")
    template = gettext_lazy("You are on call for {code} from {start} to {end}.")

    def rule(*, now):
        for user in (chinese, english, chinese):
            yield Reminder(recipient=user, kind="k", dedupe_key=f"shift-{user.pk}",
                           message=Message(template, code="CBS", start="2027-03-10 08:00", end="2027-03-10 20:00"))

    _fake_rules(monkeypatch, k=(rule, False))
    services.sweep(enqueue=False)
    assert Notification.objects.get(recipient=english).message == (
        "You are on call for CBS from 2027-03-10 08:00 to 2027-03-10 20:00.")
    zh = Notification.objects.get(recipient=chinese).message
    assert "CBS" in zh and "2027-03-10 20:00" in zh and "You are" not in zh
    with translation.override("zh-hans"):
        assert str(Message(template, code="A", start="s", end="e")) == zh.replace("CBS", "A").replace(
            "2027-03-10 08:00", "s").replace("2027-03-10 20:00", "e")


def test_sweep_leaves_the_garbage_collector_as_it_found_it(monkeypatch):
    import gc

    if gc.get_freeze_count():
        pytest.skip("this process froze its objects already")
    seen = []
    _fake_rules(monkeypatch, k=(lambda *, now: seen.append(gc.get_freeze_count()) or iter(()), False))
    services.sweep(enqueue=False)
    assert seen[0] > 0 and gc.get_freeze_count() == 0  # frozen during the sweep only
    gc.freeze()  # a process that froze its start-up objects keeps them frozen
    try:
        services.sweep(enqueue=False)
        assert gc.get_freeze_count() > 0  # not unfrozen behind the process's back
    finally:
        gc.unfreeze()


def test_every_registered_rule_is_documented_with_a_label():
    for kind, rule in rules().items():
        assert str(rule.label) and rule.kind == kind


# --- inbox ---------------------------------------------------------------------------------

def test_mark_read_and_mark_all_read_only_touch_my_own():
    me, other = UserFactory(), UserFactory()
    project = ProjectFactory()
    mine = [notification(me, project=project), notification(me), notification(me)]
    theirs = notification(other)
    services.notification_mark_read(actor=me, notification=mine[0])
    with pytest.raises(DomainError):
        services.notification_mark_read(actor=me, notification=theirs)
    assert services.notification_mark_all_read(actor=me, project=project) == 0
    assert services.notification_mark_all_read(actor=me) == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()


# --- preferences and settings ----------------------------------------------------------------

def test_preference_update_saves_and_keeps_history():
    user = UserFactory()
    pref = services.preference_update(actor=user, user=user, language="zh-hans", email_mode="digest",
                                      digest_hour=7, quiet_start=time(22), quiet_end=time(7),
                                      muted_kinds=["b", "a", "a"])
    assert (pref.language, pref.email_mode, pref.digest_hour, pref.muted_kinds) == ("zh-hans", "digest", 7, ["a", "b"])
    assert pref.history.first().history_user == user


@pytest.mark.parametrize("changes, field", [
    ({"quiet_start": time(22)}, "quiet_end"),
    ({"quiet_start": time(22), "quiet_end": time(22)}, "quiet_end"),
    ({"language": "fr"}, "language"),
    ({"digest_hour": 24}, "digest_hour"),
    ({"email_mode": "hourly"}, "email_mode"),
])
def test_bad_preferences_are_refused_and_nothing_saved(changes, field):
    user = UserFactory()
    with pytest.raises(DomainError) as exc:
        services.preference_update(actor=user, user=user, **changes)
    assert exc.value.field == field
    assert not NotificationPreference.objects.exists()


def test_nobody_changes_someone_elses_preferences():
    with pytest.raises(DomainError):
        services.preference_update(actor=UserFactory(), user=UserFactory(), email_enabled=False)


def test_reminder_setting_validation():
    project = ProjectFactory()
    manager = member(project, "manager")
    with pytest.raises(DomainError) as exc:
        services.reminder_setting_set(actor=manager, project=project, kind="no_such_kind")
    assert exc.value.field == "kind"
    with pytest.raises(DomainError) as exc:
        services.reminder_setting_set(actor=manager, project=project, kind=SHIFT, lead_hours=0)
    assert exc.value.field == "lead_hours"
    with pytest.raises(DomainError):
        services.reminder_setting_set(actor=manager, project=project, kind=SLIPPING, lead_hours=5)  # has no lead
    assert not ReminderSetting.objects.exists()
    setting = services.reminder_setting_set(actor=manager, project=project, kind=SHIFT, lead_hours=6)
    assert setting.history.first().history_user == manager


def test_broker_down_is_noticed_once_and_requests_do_not_wait_for_it(monkeypatch):
    import projects.health

    monkeypatch.setattr(queue, "broker_available", REAL_BROKER_AVAILABLE)  # undo the package-wide fake
    monkeypatch.setattr(queue, "_broker_state", {"ok": True, "checked": 0.0})
    pings = []
    monkeypatch.setattr(projects.health, "broker_ok", lambda timeout: pings.append(timeout) or (False, "refused"))
    published = []
    monkeypatch.setattr(queue, "send_task", lambda *a, **k: published.append(a))
    user = UserFactory()
    assert queue.enqueue_delivery(1) is False
    assert queue.enqueue_outbox() is False
    assert pings == [0.3] and published == []  # one short ping, remembered; nothing published
    n = services.notify(recipient=user, kind="k", message="m", dedupe_key="down")
    assert Notification.objects.get(pk=n.pk).email_status == EmailStatus.PENDING  # waits in the outbox
