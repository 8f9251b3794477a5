"""Every write of the notifications app.

`notify(...)` is the one way any app tells a person something at once: call it inside your own
transaction; the row is the truth, and delivery is queued only after commit. `sweep()` runs
every registered reminder rule and writes what is due in bulk. Both ignore dedupe keys that
exist already, so nobody is told twice.
"""

import gc
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from projects.audit import stamp
from projects.errors import DomainError, check_fields

from . import leads
from .models import EmailMode, Notification, NotificationPreference, ReminderSetting
from .queue import enqueue_delivery, enqueue_outbox
from .registry import Message, rules

log = logging.getLogger(__name__)


def _text(message, language):
    """Render a lazy message (gettext_lazy / format_lazy) in the recipient's language."""
    if isinstance(message, Promise | Message):
        with translation.override(language):
            return str(message)[:2000]
    return str(message)[:2000]


def languages_for(user_ids):
    """{user id: language code}, the site default for people without a preference."""
    found = dict(NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language"))
    return {uid: found.get(uid, settings.LANGUAGE_CODE) for uid in user_ids}


def notify(*, recipient, kind, message, dedupe_key, project=None, subject=None, url="", due_at=None):
    """Create the notification unless one with `dedupe_key` exists; queue delivery on commit.

    `message` may be a lazy translation: it is rendered in the recipient's language.
    Returns the new Notification, or None when it was a duplicate (nobody is told twice).
    """
    language = languages_for([recipient.pk])[recipient.pk]
    fields = {"recipient": recipient, "kind": kind, "message": _text(message, language),
              "dedupe_key": dedupe_key[:255], "project": project, "url": url, "due_at": due_at}
    if subject is not None:
        fields["subject_type"] = ContentType.objects.get_for_model(subject)
        fields["subject_id"] = subject.pk
    try:
        with transaction.atomic():
            notification = Notification.objects.create(**fields)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: enqueue_delivery(notification.pk))
    return notification


# --- the sweep ----------------------------------------------------------------------------

@dataclass
class SweepReport:
    rules: int = 0
    candidates: int = 0
    inserted: int = 0
    failed_rules: list = field(default_factory=list)

    def __str__(self):
        text = f"{self.rules} rule(s), {self.candidates} due, {self.inserted} new notification(s)"
        if self.failed_rules:
            text += f"; failed: {', '.join(self.failed_rules)}"
        return text


def _pk(value):
    return getattr(value, "pk", value)


def _subject(subject, types):
    """(content type id, object id) of a subject given as a model instance or a (model, pk) pair.

    `types` caches content type ids for one batch (ContentType's own cache costs a call per row)."""
    if subject is None:
        return None, None
    model, pk = subject if isinstance(subject, tuple) else (type(subject), subject.pk)
    if model not in types:
        types[model] = ContentType.objects.get_for_model(model).pk
    return types[model], pk


# Notification(*values) in concrete-field order takes Model.__init__'s fast path (no kwargs).
_ATTNAMES = [f.attname for f in Notification._meta.concrete_fields]
_SLOT = {name: i for i, name in enumerate(_ATTNAMES)}
_SWEPT = ["recipient_id", "project_id", "kind", "message", "url", "subject_type_id", "subject_id", "due_at",
          "dedupe_key"]
_INSERT_BATCH = 2000  # rows per INSERT statement (the ORM sends them as one array per column)


def _template():
    """One row of the model's own defaults (created_at: one clock reading for the whole batch)."""
    return [f.get_default() for f in Notification._meta.concrete_fields]


class _InsertedRows:
    """Counts the rows INSERT statements really wrote (`cursor.rowcount`) while it is installed.

    `bulk_create(ignore_conflicts=True)` does not say which rows the unique key skipped; the
    database does, per statement. Installed with `connection.execute_wrapper`, Django's hook for
    instrumenting queries: the ORM still builds every statement.
    """

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip()[:6].upper() == "INSERT":
            self.count += max(context["cursor"].rowcount or 0, 0)
        return result


def _insert_rows(rows):
    """Bulk INSERT … ON CONFLICT (dedupe_key) DO NOTHING, built by the ORM; returns how many were new.

    `rows` are tuples in `_SWEPT` order. A concurrent sweep that wins the race for a key is
    absorbed by the unique key and not counted here.
    """
    if not rows:
        return 0
    template, slots = _template(), [_SLOT[name] for name in _SWEPT]
    objs = []
    for row in rows:
        values = template.copy()
        for slot, value in zip(slots, row, strict=True):
            values[slot] = value
        objs.append(Notification(*values))
    counter = _InsertedRows()
    with connection.execute_wrapper(counter):
        Notification.objects.bulk_create(objs, ignore_conflicts=True, batch_size=_INSERT_BATCH)
    return counter.count


def _insert(batch, *, look_up=True):
    """Insert one batch of Reminders; returns how many were new. Set-based: a few queries.

    Dedupe keys that exist already are dropped before any message is rendered (a second sweep
    costs one SELECT per batch) unless the rule skips told ones in its own query
    (`look_up=False`); a concurrent sweep that wins the race is absorbed by the unique key
    (ON CONFLICT DO NOTHING).
    """
    by_key = {}
    for reminder in batch:
        by_key.setdefault(reminder.dedupe_key[:255], reminder)
    existing = set()
    if look_up:
        existing = set(Notification.objects.filter(dedupe_key__in=list(by_key)).values_list("dedupe_key", flat=True))
    enabled = {}  # per (project, kind): the project's managers may have switched a kind off
    fresh = []
    for key, r in by_key.items():
        if key in existing:
            continue
        switch = (_pk(r.project), r.kind)
        if switch not in enabled:
            enabled[switch] = leads.enabled(*switch)
        if enabled[switch]:
            fresh.append((key, r))
    if not fresh:
        return 0
    languages = languages_for({_pk(r.recipient) for _key, r in fresh})
    by_language = defaultdict(list)
    for key, r in fresh:
        by_language[languages[_pk(r.recipient)]].append((key, r))
    rows, types = [], {}
    for language, items in by_language.items():
        with translation.override(language):  # lazy messages render in the recipient's language
            templates = {}  # a Message's template is translated once per language, not once per row
            for key, r in items:
                message = r.message
                if isinstance(message, Message):
                    if (template := id(message.template)) not in templates:
                        templates[template] = str(message.template)
                    text = message.render(templates[template])
                else:
                    text = str(message)
                rows.append((_pk(r.recipient), _pk(r.project), r.kind, text[:2000], r.url or "",
                             *_subject(r.subject, types), r.due_at, key))
    return _insert_rows(rows)


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


@contextmanager
def _collector_skips_older_objects():
    """Let the cyclic garbage collector look only at objects made during the sweep.

    A big sweep makes hundreds of thousands of short-lived objects, which set off dozens of full
    collections, and each of those walks everything the process holds (Django, the URLconf,
    translation catalogues…): about a second per 100,000 reminders. `gc.freeze()` moves what
    exists now out of the collector's sight until `gc.unfreeze()`; nothing is lost, it is only
    not examined meanwhile. A process that froze its start-up objects itself is left alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def sweep(*, now=None, batch_size=2000, enqueue=True, kinds=None) -> SweepReport:
    """Run every registered reminder rule and write what is due; then queue the outbox.

    Each rule runs in its own transaction: one broken rule (say, another app's bug) is logged
    and the others still run; its reminders come with the next sweep once it is fixed.
    `kinds` limits the sweep to some rules (tests, or re-running one rule by hand).
    """
    now = now or timezone.now()
    report = SweepReport()
    with leads.settings_cache(), _collector_skips_older_objects():
        for kind, rule in rules().items():
            if kinds is not None and kind not in kinds:
                continue
            report.rules += 1
            try:
                with transaction.atomic():
                    for batch in _batches(rule.func(now=now), batch_size):
                        report.candidates += len(batch)
                        report.inserted += _insert(batch, look_up=not rule.skips_told)
            except Exception:  # noqa: BLE001 - isolate one app's broken rule from the others
                log.exception("Reminder rule %s failed; the other rules still ran", kind)
                report.failed_rules.append(kind)
    if enqueue:
        transaction.on_commit(enqueue_outbox)
    log.info("Reminder sweep: %s", report)
    return report


# --- inbox --------------------------------------------------------------------------------

@transaction.atomic
def notification_mark_read(*, actor, notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise DomainError(_("You can only mark your own notifications as read."), code="permission")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor, project=None) -> int:
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.update(read_at=timezone.now())


# --- preferences --------------------------------------------------------------------------

PREFERENCE_FIELDS = {"language", "email_enabled", "email_mode", "digest_hour", "quiet_start", "quiet_end",
                     "muted_kinds"}


@transaction.atomic
def preference_update(*, actor, user, **changes) -> NotificationPreference:
    if actor.pk != user.pk:
        raise DomainError(_("You can only change your own notification preferences."), code="permission")
    check_fields(changes, allowed=PREFERENCE_FIELDS)
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    for name, value in changes.items():
        setattr(pref, name, value)
    if pref.language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the languages offered."), field="language")
    if pref.email_mode not in EmailMode.values:
        raise DomainError(_("Choose “at once” or “daily digest”."), field="email_mode")
    if pref.digest_hour is None or not 0 <= int(pref.digest_hour) <= 23:
        raise DomainError(_("The digest hour must be between 0 and 23."), field="digest_hour")
    if (pref.quiet_start is None) != (pref.quiet_end is None):
        raise DomainError(_("Give quiet hours both a start and an end, or leave both empty."), field="quiet_end")
    if pref.quiet_start is not None and pref.quiet_start == pref.quiet_end:
        raise DomainError(_("Quiet hours must end at a different time than they start."), field="quiet_end")
    if not isinstance(pref.muted_kinds, list) or not all(isinstance(k, str) for k in pref.muted_kinds):
        raise DomainError(_("Muted kinds must be a list of kinds."), field="muted_kinds")
    pref.muted_kinds = sorted(set(pref.muted_kinds))
    stamp(pref, actor).save()
    return pref


# --- per-project reminder settings ---------------------------------------------------------

@transaction.atomic
def reminder_setting_set(*, actor, project, kind, enabled=True, lead_hours=None) -> ReminderSetting:
    rule = rules().get(kind)
    if rule is None:
        raise DomainError(_("There is no reminder of kind “%(kind)s”.") % {"kind": kind}, field="kind")
    if lead_hours is not None:
        if rule.default_lead is None:
            raise DomainError(_("“%(label)s” has no lead time to set.") % {"label": rule.label}, field="lead_hours")
        if not 1 <= int(lead_hours) <= 24 * 90:
            raise DomainError(_("The lead time must be between 1 hour and 90 days (2160 hours)."),
                              field="lead_hours")
    setting = ReminderSetting.objects.select_for_update().filter(project=project, kind=kind).first()
    if setting is None:
        setting = ReminderSetting(project=project, kind=kind)
    elif setting.enabled == enabled and setting.lead_hours == lead_hours:
        return setting
    setting.enabled = enabled
    setting.lead_hours = lead_hours
    stamp(setting, actor).save()
    return setting
