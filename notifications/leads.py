"""Per-project reminder settings, read by `registry.lead_time()` and the sweep.

Outside a sweep every call reads the database (settings pages see fresh values). Inside
`settings_cache()` (the sweep) all settings are read once, so a rule that asks
`lead_time(project_id, kind)` for every row costs no query per row.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_cache: ContextVar[dict | None] = ContextVar("reminder_settings_cache", default=None)


def _load():
    from .models import ReminderSetting

    return {(s.project_id, s.kind): s for s in ReminderSetting.objects.all()}


@contextmanager
def settings_cache():
    token = _cache.set(_load())
    try:
        yield
    finally:
        _cache.reset(token)


def _setting(project_id, kind):
    cached = _cache.get()
    if cached is not None:
        return cached.get((project_id, kind))
    from .models import ReminderSetting

    return ReminderSetting.objects.filter(project_id=project_id, kind=kind).first()


def configured_lead(project_id, kind):
    """Per-project lead-time override for reminder `kind`, or None to use the rule's default."""
    setting = _setting(getattr(project_id, "pk", project_id), kind)
    return setting.lead if setting is not None else None


def enabled(project_id, kind) -> bool:
    """False when the project's managers switched reminders of `kind` off."""
    if project_id is None:
        return True
    setting = _setting(getattr(project_id, "pk", project_id), kind)
    return setting is None or setting.enabled


def max_lead(kind, default):
    """The longest lead time any project uses for `kind` (rules use it to bound their query)."""
    cached = _cache.get()
    if cached is not None:
        leads = [s.lead for (_p, k), s in cached.items() if k == kind and s.lead]
    else:
        from .models import ReminderSetting

        leads = [s.lead for s in ReminderSetting.objects.filter(kind=kind, lead_hours__isnull=False)]
    return max([lead for lead in [default, *leads] if lead] or [default])
