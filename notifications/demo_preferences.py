"""Demo notification preferences, seeded before the other apps' demo data so that what they
notify at once (assignments, promotions, steps ready) is written in each person's language."""

from datetime import time

from projects.models import Membership

from . import services
from .models import EmailMode, NotificationPreference


def seed(*, project, people, stdout=None):
    users = {u.username: u for us in people.values() for u in us}
    _preferences(project, users)


def _chinese(name):
    return any("\u4e00" <= ch <= "\u9fff" for ch in name or "")


def _preferences(project, users):
    """Chinese for the bank's Chinese-named staff, English for the others, plus a few people who
    chose otherwise. The demo logins pm, tester, dev, ops and trainer read English."""
    members = dict(Membership.objects.filter(project=project).values_list("user_id", "user__last_name"))
    have = set(NotificationPreference.objects.filter(user_id__in=list(members)).values_list("user_id", flat=True))
    logins = {u.pk for name, u in users.items() if name in {"pm", "tester", "dev", "ops", "trainer"}}
    NotificationPreference.objects.bulk_create([
        NotificationPreference(user_id=uid, language="zh-hans" if _chinese(last) and uid not in logins else "en")
        for uid, last in members.items() if uid not in have])
    choices = {
        "pm2": {"email_mode": EmailMode.DIGEST, "digest_hour": 8},
        "business": {"language": "zh-hans"},
        "staff": {"language": "zh-hans", "quiet_start": time(22), "quiet_end": time(7)},
        "ops": {"quiet_start": time(23), "quiet_end": time(6, 30)},
    }
    for username, changes in choices.items():
        user = users.get(username)
        if user is not None:
            services.preference_update(actor=user, user=user, **changes)
