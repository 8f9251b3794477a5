from datetime import UTC, datetime, time

import pytest
from django.utils import timezone

from notifications import selectors
from notifications.models import Notification, NotificationPreference
from notifications.reminders import SHIFT
from tests.notifications.factories import notification
from tests.projects.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _local(h, m=0, day=10):
    return timezone.make_aware(datetime(2027, 3, day, h, m))


def test_inbox_unread_first_then_newest_and_state_filters():
    me = UserFactory()
    a, b, c = notification(me), notification(me), notification(me)
    Notification.objects.filter(pk=c.pk).update(read_at=timezone.now())
    assert [n.pk for n in selectors.inbox_for_user(user=me)] == [b.pk, a.pk, c.pk]
    assert [n.pk for n in selectors.inbox_for_user(user=me, state="read")] == [c.pk]
    assert [n.pk for n in selectors.inbox_for_user(user=me, state="unread")] == [b.pk, a.pk]
    assert selectors.unread_count(user=me) == 2


def test_preferences_default_without_a_row(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    user = UserFactory()
    pref = selectors.preference_for(user=user)
    assert pref.pk is None and pref.language == "zh-hans" and pref.email_enabled and pref.email_mode == "immediate"
    both = selectors.preferences_for(user_ids=[user.pk])
    assert both[user.pk].language == "zh-hans"


@pytest.mark.parametrize("start, end, moment, quiet", [
    (time(22), time(7), _local(23, 30), True),
    (time(22), time(7), _local(6, 59), True),
    (time(22), time(7), _local(7, 0), False),
    (time(12), time(14), _local(13), True),
    (time(12), time(14), _local(15), False),
    (None, None, _local(3), False),
])
def test_quiet_hours(start, end, moment, quiet):
    assert NotificationPreference(quiet_start=start, quiet_end=end).in_quiet_hours(moment) is quiet


def test_email_allowed_at_combines_digest_and_quiet_hours():
    immediate = NotificationPreference(quiet_start=time(22), quiet_end=time(7))
    assert immediate.email_allowed_at(_local(10)) == _local(10)
    assert immediate.email_allowed_at(_local(23)) == _local(7, day=11)
    digest = NotificationPreference(email_mode="digest", digest_hour=8)
    assert digest.email_allowed_at(_local(6)) == _local(8)
    assert digest.email_allowed_at(_local(9)) == _local(8, day=11)
    quiet_digest = NotificationPreference(email_mode="digest", digest_hour=6, quiet_start=time(22), quiet_end=time(7))
    assert quiet_digest.email_allowed_at(_local(9)) == _local(7, day=11)
    assert _local(8).astimezone(UTC).hour == 0  # Asia/Shanghai


def test_kind_choices_include_rules_and_kinds_i_received():
    me = UserFactory()
    notification(me, kind="waitlist_promoted")
    kinds = dict(selectors.kind_choices(user=me))
    assert str(kinds[SHIFT]) == "On-call shift starting"
    assert kinds["waitlist_promoted"] == "Waitlist promoted"


def test_reminder_settings_rows_show_defaults_and_overrides():
    project = ProjectFactory()
    project.reminder_settings.create(kind=SHIFT, lead_hours=30)
    rows = {r["kind"]: r for r in selectors.reminder_settings(project=project)}
    assert rows[SHIFT]["default_lead_hours"] == 12 and rows[SHIFT]["lead_hours"] == 30
