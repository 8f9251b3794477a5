"""Every write of the notifications app.

`notify(...)` is the one way any app tells a person something at once: call it inside your own
transaction; the row is the truth, and delivery is queued only after commit. `sweep()` runs
every registered reminder rule and writes what is due in bulk. Both ignore dedupe keys that
exist already, so nobody is told twice.
"""

import gc
import logging
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from itertools import islice
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from projects.audit import stamp
from projects.errors import DomainError, check_fields
from projects.models import Membership, Role
from projects.people import display_name
from projects.selectors import on_call

from . import leads
from .models import (
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertSeverity,
    AlertStatus,
    Channel,
    ChannelKind,
    ChannelMessage,
    EmailMode,
    EscalationPolicy,
    Notification,
    NotificationPreference,
    ReminderSetting,
)
from .queue import enqueue_channel, enqueue_delivery, enqueue_outbox
from .registry import ALERT, CHANNEL_TEST, ON_CALL_BACKUP, ON_CALL_PRIMARY, Message, Text, event_kinds, rules
from .reminders import (
    ALERT_ACKED,
    ALERT_CALL,
    ALERT_ESCALATED,
    ALERT_IN,
    ALERT_NOBODY,
    ALERT_RESOLVED,
    CHANNEL_TEST_MESSAGE,
)

log = logging.getLogger(__name__)
User = get_user_model()


def _text(message, language):
    """Render a message (a Text, or a lazy gettext_lazy / format_lazy) in the recipient's language."""
    if isinstance(message, Promise | Message | Text):
        with translation.override(language):
            return str(message)[:2000]
    return str(message)[:2000]


def _stored(message):
    """(template key, parameters) to store for a message: rendered again whenever it is read.
    A message that is not a registered template's Text has neither (its rendering is all there is)."""
    if isinstance(message, Text):
        return message.key, message.json_params()
    return "", {}


def languages_for(user_ids):
    """{user id: language code}, the site default for people without a preference."""
    found = dict(NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language"))
    return {uid: found.get(uid, settings.LANGUAGE_CODE) for uid in user_ids}


def notify(*, recipient, kind, message, dedupe_key, project=None, subject=None, url="", due_at=None):
    """Create the notification unless one with `dedupe_key` exists; queue delivery on commit.

    `message` is a registered template's Text (`registry.message_template`): its key and parameters
    are stored and it is rendered when read, in the reader's language (`message` keeps it rendered
    in the recipient's language as the fallback). Returns the new Notification, or None when it was
    a duplicate (nobody is told twice).
    """
    language = languages_for([recipient.pk])[recipient.pk]
    message_key, params = _stored(message)
    fields = {"recipient": recipient, "kind": kind, "message": _text(message, language),
              "message_key": message_key, "params": params,
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


def recipients_told(*, kind, subject, since=None):
    """The people told `kind` about `subject` (since `since`), one query: for a follow-up that only
    they need ("the requirement you were asked to review was withdrawn"). Inactive users are left out."""
    rows = Notification.objects.filter(kind=kind, subject_type=ContentType.objects.get_for_model(subject),
                                       subject_id=subject.pk, recipient__is_active=True)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return list(User.objects.filter(pk__in=rows.values("recipient_id")).order_by("pk"))


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
_SWEPT = ["recipient_id", "project_id", "kind", "message_key", "params", "message", "url", "subject_type_id",
          "subject_id", "due_at", "dedupe_key"]
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
            templates = {}  # a template is translated once per language and batch, not once per row
            for key, r in items:
                message = r.message
                message_key, params = "", {}
                if isinstance(message, Text):
                    template = message.template
                    if (tid := id(template)) not in templates:
                        templates[tid] = template.translated()
                    text = message.render(templates[tid])
                    message_key, params = template.key, message.json_params()
                elif isinstance(message, Message):
                    if (tid := id(message.template)) not in templates:
                        templates[tid] = str(message.template)
                    text = message.render(templates[tid])
                else:
                    text = str(message)
                rows.append((_pk(r.recipient), _pk(r.project), r.kind, message_key, params, text[:2000], r.url or "",
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


# --- chat-robot channels ---------------------------------------------------------------------

CHANNEL_FIELDS = {"name", "kind", "url", "secret", "events", "language", "active"}


def known_kinds():
    """Every notification kind a channel may subscribe to: reminder rules and instant events."""
    return set(rules()) | set(event_kinds())


def _check_channel(channel, *, secret_given):
    channel.name = (channel.name or "").strip()
    if not channel.name:
        raise DomainError(_("Give the channel a name, e.g. “Cutover war room”."), field="name")
    if channel.kind not in ChannelKind.values:
        raise DomainError(_("Choose the platform: %(kinds)s.") % {"kinds": ", ".join(ChannelKind.values)},
                          field="kind")
    channel.url = (channel.url or "").strip()
    parts = urlsplit(channel.url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(channel.url) > 500:
        raise DomainError(_("Give the robot's webhook address: an http:// or https:// URL of at most 500 "
                            "characters."), field="url")
    if channel.kind == ChannelKind.WECOM and channel.secret:
        raise DomainError(_("WeCom group robots are not signed: their key is part of the address. Leave the secret "
                            "empty."), field="secret")
    if channel.kind == ChannelKind.WEBHOOK and not channel.secret:
        raise DomainError(_("A signed webhook needs a secret to sign its requests with."), field="secret")
    if secret_given and len(channel.secret) > 200:
        raise DomainError(_("The secret can be at most 200 characters."), field="secret")
    if not isinstance(channel.events, list) or not all(isinstance(k, str) for k in channel.events):
        raise DomainError(_("Events must be a list of notification kinds (empty: every kind)."), field="events")
    unknown = sorted(set(channel.events) - known_kinds())
    if unknown:
        raise DomainError(_("Unknown notification kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}, field="events")
    channel.events = sorted(set(channel.events))
    if channel.language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the languages offered."), field="language")


@transaction.atomic
def channel_create(*, actor, project, kind, url, name="", secret="", events=(), language=None,
                   active=True) -> Channel:
    if not (name or "").strip() and kind in ChannelKind.values:  # the API may leave the name out
        base = str(ChannelKind(kind).label)
        taken = set(Channel.objects.filter(project=project, name__startswith=base).values_list("name", flat=True))
        name = next(n for n in [base, *(f"{base} {i}" for i in range(2, 1000))] if n not in taken)
    channel = Channel(project=project, name=name, kind=kind, url=url, secret=(secret or "").strip(),
                      events=list(events or []), language=language or settings.LANGUAGE_CODE, active=active)
    _check_channel(channel, secret_given=True)
    if Channel.objects.filter(project=project, name=channel.name).exists():
        raise DomainError(_("This project already has a channel called “%(name)s”.") % {"name": channel.name},
                          field="name")
    if channel.secret:
        channel.secret_changed_at = timezone.now()
    stamp(channel, actor).save()
    return channel


@transaction.atomic
def channel_update(*, actor, channel, **changes) -> Channel:
    """Change a channel. The secret is write-only: left out, it is kept; given, it replaces the old one."""
    check_fields(changes, allowed=CHANNEL_FIELDS)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    secret = changes.pop("secret", None)
    for key, value in changes.items():
        setattr(channel, key, list(value) if key == "events" else value)
    if secret is not None:
        channel.secret = secret.strip()
        channel.secret_changed_at = timezone.now()
    _check_channel(channel, secret_given=secret is not None)
    if Channel.objects.filter(project_id=channel.project_id, name=channel.name).exclude(pk=channel.pk).exists():
        raise DomainError(_("This project already has a channel called “%(name)s”.") % {"name": channel.name},
                          field="name")
    stamp(channel, actor).save()
    return channel


@transaction.atomic
def channel_delete(*, actor, channel):
    stamp(channel, actor).delete()


def broadcast(*, project, kind, message, dedupe_key, url="") -> int:
    """Tell the project's chat channels that subscribe to `kind`; returns how many got a new message.

    Call it inside your own transaction, like `notify`: one outbox row per channel (in the channel's
    language) with the key `<dedupe_key>:ch<channel>`, so the same event never reaches a chat twice;
    delivery is queued after commit."""
    project_id = getattr(project, "pk", project)
    message_key, params = _stored(message)
    written = 0
    for channel in Channel.objects.filter(project_id=project_id, active=True).order_by("id"):
        if not channel.wants(kind):
            continue
        key = f"{dedupe_key[:240]}:ch{channel.pk}"
        try:
            with transaction.atomic():
                ChannelMessage.objects.create(channel=channel, kind=kind, text=_text(message, channel.language),
                                              message_key=message_key, params=params, url=url or "", dedupe_key=key)
        except IntegrityError:
            continue
        written += 1
        transaction.on_commit(partial(enqueue_channel, channel.pk))
    return written


def channel_test(*, actor, channel, now=None):
    """Send a test message to the channel now, through its outbox; returns (message, report)."""
    from .robots import deliver_channel

    now = now or timezone.now()
    with transaction.atomic():
        text = CHANNEL_TEST_MESSAGE(who=display_name(actor))
        message = ChannelMessage.objects.create(channel=channel, kind=CHANNEL_TEST, text=_text(text, channel.language),
                                                message_key=text.key, params=text.json_params(),
                                                dedupe_key=f"{CHANNEL_TEST}:{channel.pk}:{uuid.uuid4().hex}")
    report = deliver_channel(channel_id=channel.pk, now=now)
    message.refresh_from_db()
    return message, report


# --- escalation policies -------------------------------------------------------------------

MAX_POLICY_STEPS = 10
MAX_WAIT_MINUTES = 24 * 60


def _check_target(project, target, number):
    target = str(target or "").strip()
    if target in (ON_CALL_PRIMARY, ON_CALL_BACKUP):
        return target
    kind, _sep, value = target.partition(":")
    if kind == "role" and value in Role.values:
        return target
    if kind == "user" and value.isdigit():
        if Membership.objects.filter(project=project, user_id=int(value)).exists():
            return f"user:{int(value)}"
        raise DomainError(_("Step %(n)d: user %(id)s is not a member of this project.") % {"n": number, "id": value},
                          field="steps")
    raise DomainError(
        _("Step %(n)d: “%(t)s” is not a target. Use on_call_primary, on_call_backup, role:<role> (%(roles)s) or "
          "user:<id>.") % {"n": number, "t": target, "roles": ", ".join(Role.values)}, field="steps")


def _check_steps(project, steps):
    if not isinstance(steps, list | tuple) or not steps:
        raise DomainError(_("An escalation policy needs at least one step."), field="steps")
    if len(steps) > MAX_POLICY_STEPS:
        raise DomainError(_("An escalation policy has at most %(n)d steps.") % {"n": MAX_POLICY_STEPS}, field="steps")
    clean = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise DomainError(_("Step %(n)d must give wait_minutes and target.") % {"n": number}, field="steps")
        wait = step.get("wait_minutes")
        if isinstance(wait, bool) or not isinstance(wait, int) or not 0 <= wait <= MAX_WAIT_MINUTES:
            raise DomainError(_("Step %(n)d: wait_minutes must be a whole number from 0 to %(max)d.")
                              % {"n": number, "max": MAX_WAIT_MINUTES}, field="steps")
        clean.append({"wait_minutes": wait, "target": _check_target(project, step.get("target"), number)})
    return clean


@transaction.atomic
def policy_create(*, actor, project, name, steps) -> EscalationPolicy:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the policy a name, e.g. “Core systems on call”."), field="name")
    if EscalationPolicy.objects.filter(project=project, name=name).exists():
        raise DomainError(_("This project already has a policy called “%(name)s”.") % {"name": name}, field="name")
    policy = EscalationPolicy(project=project, name=name, steps=_check_steps(project, steps))
    stamp(policy, actor).save()
    return policy


@transaction.atomic
def policy_update(*, actor, policy, **changes) -> EscalationPolicy:
    """Edit a policy. Alerts already under way keep the steps they started with."""
    check_fields(changes, allowed={"name", "steps"})
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise DomainError(_("Give the policy a name, e.g. “Core systems on call”."), field="name")
        if EscalationPolicy.objects.filter(project_id=policy.project_id, name=name).exclude(pk=policy.pk).exists():
            raise DomainError(_("This project already has a policy called “%(name)s”.") % {"name": name},
                              field="name")
        policy.name = name
    if "steps" in changes:
        policy.steps = _check_steps(policy.project, changes["steps"])
    stamp(policy, actor).save()
    return policy


@transaction.atomic
def policy_delete(*, actor, policy):
    stamp(policy, actor).delete()


# --- alerts ----------------------------------------------------------------------------------

# Used when an alert names no policy and its project has none: the rota, then the managers.
DEFAULT_STEPS = [{"wait_minutes": 15, "target": ON_CALL_PRIMARY}, {"wait_minutes": 15, "target": ON_CALL_BACKUP},
                 {"wait_minutes": 0, "target": "role:manager"}]


def _people(project, target, now):
    """The users `target` means in `project` at `now` (members only)."""
    if target in (ON_CALL_PRIMARY, ON_CALL_BACKUP):
        duty = on_call(project=project, at=now)
        person = duty.primary if target == ON_CALL_PRIMARY else duty.backup
        return [person] if person is not None else []
    kind, _sep, value = target.partition(":")
    if kind == "role":
        return list(User.objects.filter(memberships__project=project, memberships__role=value).distinct().order_by("id"))
    if kind == "user" and value.isdigit():
        return list(User.objects.filter(memberships__project=project, pk=int(value)).distinct())
    return []


def _alert_url(alert):
    return reverse("notifications:alert", args=[alert.project_id, alert.pk])




def _call_next(alert, now):
    """Notify the next step that finds somebody; set when the one after it is due. Steps that find
    nobody (no backup on the rota) are recorded and passed at once: nobody waits for nobody."""
    code = alert.project.code
    while alert.level < len(alert.steps):
        index = alert.level
        step = alert.steps[index]
        alert.level += 1
        people = _people(alert.project, step["target"], now)
        if not people:
            AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.NOBODY, step=index + 1,
                                      target=step["target"])
            broadcast(project=alert.project_id, kind=ALERT, url=_alert_url(alert),
                      dedupe_key=f"alert:{alert.pk}:step:{index + 1}:nobody",
                      message=ALERT_NOBODY(title=alert.title, step=index + 1, target=step["target"]))
            continue
        message = ALERT_CALL(severity=alert.severity, code=code, title=alert.title, source=alert.source or "—",
                             step=index + 1)
        for person in people:
            notify(recipient=person, kind=ALERT, message=message, project=alert.project, subject=alert,
                   url=_alert_url(alert), due_at=now, dedupe_key=f"alert:{alert.pk}:step:{index + 1}:{person.pk}")
            AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.NOTIFIED, step=index + 1,
                                      target=step["target"], user=person)
        if index > 0:
            broadcast(project=alert.project_id, kind=ALERT, url=_alert_url(alert),
                      dedupe_key=f"alert:{alert.pk}:step:{index + 1}",
                      message=ALERT_ESCALATED(title=alert.title, step=index + 1,
                                              people=", ".join(display_name(p) for p in people)))
        has_next = alert.level < len(alert.steps)
        alert.next_escalation_at = now + timedelta(minutes=step["wait_minutes"]) if has_next else None
        break
    else:
        alert.next_escalation_at = None
    alert.save(update_fields=["level", "next_escalation_at"])


@transaction.atomic
def alert_trigger(*, actor, project, title, severity=AlertSeverity.WARNING, source="", policy=None, now=None):
    """A new alert, step 1 of its policy notified at once. Returns (alert, created).

    The same title from the same source while an earlier one is still triggered is that alert
    again (monitoring tools repeat themselves): nothing new is written and nobody is told twice."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Say what is wrong: an alert needs a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("The title can be at most 200 characters."), field="title")
    if severity not in AlertSeverity.values:
        raise DomainError(_("Severity must be one of: %(all)s.") % {"all": ", ".join(AlertSeverity.values)},
                          field="severity")
    source = (source or "").strip()
    if len(source) > 120:
        raise DomainError(_("The source can be at most 120 characters."), field="source")
    if policy is not None and policy.project_id != project.pk:
        raise DomainError(_("That escalation policy belongs to another project."), field="policy")
    existing = Alert.objects.select_for_update().filter(project=project, title=title, source=source,
                                                        status=AlertStatus.TRIGGERED).first()
    if existing is not None:
        return existing, False
    if policy is None:
        policy = EscalationPolicy.objects.filter(project=project).order_by("id").first()
    now = now or timezone.now()
    alert = Alert(project=project, title=title, severity=severity, source=source, policy=policy,
                  steps=list(policy.steps) if policy else list(DEFAULT_STEPS), triggered_at=now,
                  triggered_by=actor if getattr(actor, "is_authenticated", False) else None)
    stamp(alert, actor).save()
    AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.TRIGGERED, user=alert.triggered_by,
                              note=source)
    broadcast(project=project, kind=ALERT, url=_alert_url(alert), dedupe_key=f"alert:{alert.pk}:triggered",
              message=ALERT_IN(severity=severity, title=title, source=source or "—"))
    _call_next(alert, now)
    return alert, True


def alerts_escalate(*, now=None) -> int:
    """Call the next step of every triggered alert whose wait is over; returns how many moved on.

    Each alert moves in its own transaction under its row lock (`FOR UPDATE SKIP LOCKED`): two
    workers sweeping at once never call the same step twice (and the dedupe keys would catch it)."""
    now = now or timezone.now()
    moved = 0
    due = list(Alert.objects.filter(status=AlertStatus.TRIGGERED, next_escalation_at__lte=now)
               .order_by("next_escalation_at", "id").values_list("pk", flat=True)[:500])
    for pk in due:
        with transaction.atomic():
            alert = (Alert.objects.select_for_update(skip_locked=True, of=("self",)).select_related("project")
                     .filter(pk=pk, status=AlertStatus.TRIGGERED, next_escalation_at__lte=now).first())
            if alert is None:
                continue  # another worker has it, or it was acknowledged meanwhile
            _call_next(alert, now)
            moved += 1
    if moved:
        log.info("Escalation: %d alert(s) moved to their next step", moved)
    return moved


def _locked_alert(alert):
    return Alert.objects.select_for_update(of=("self",)).select_related("project").get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(*, actor, alert, now=None) -> Alert:
    """Somebody has it: escalation stops."""
    alert = _locked_alert(alert)
    if alert.status != AlertStatus.TRIGGERED:
        who = display_name(alert.acknowledged_by or alert.resolved_by) if (
            alert.acknowledged_by or alert.resolved_by) else "—"
        raise DomainError(_("This alert is %(status)s already (by %(who)s).")
                          % {"status": alert.get_status_display().lower(), "who": who},
                          field="status", code="conflict")
    now = now or timezone.now()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by, alert.acknowledged_at = actor, now
    alert.next_escalation_at = None
    stamp(alert, actor).save(update_fields=["status", "acknowledged_by", "acknowledged_at", "next_escalation_at"])
    AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.ACKNOWLEDGED, user=actor)
    broadcast(project=alert.project_id, kind=ALERT, url=_alert_url(alert), dedupe_key=f"alert:{alert.pk}:ack",
              message=ALERT_ACKED(title=alert.title, who=display_name(actor)))
    return alert


@transaction.atomic
def alert_resolve(*, actor, alert, note="", now=None) -> Alert:
    alert = _locked_alert(alert)
    if alert.status == AlertStatus.RESOLVED:
        raise DomainError(_("This alert is resolved already."), field="status", code="conflict")
    now = now or timezone.now()
    if alert.status == AlertStatus.TRIGGERED:  # resolving it is acknowledging it too
        alert.acknowledged_by, alert.acknowledged_at = actor, now
    alert.status = AlertStatus.RESOLVED
    alert.resolved_by, alert.resolved_at = actor, now
    alert.next_escalation_at = None
    stamp(alert, actor).save(update_fields=["status", "acknowledged_by", "acknowledged_at", "resolved_by",
                                            "resolved_at", "next_escalation_at"])
    AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.RESOLVED, user=actor, note=(note or "")[:300])
    broadcast(project=alert.project_id, kind=ALERT, url=_alert_url(alert), dedupe_key=f"alert:{alert.pk}:resolved",
              message=ALERT_RESOLVED(title=alert.title, who=display_name(actor)))
    return alert
