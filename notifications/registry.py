"""Reminder rules: each app registers small functions that say what is due.

An app puts its rules in `<app>/reminders.py` (imported by the sweep through
`autodiscover()`), e.g.::

    from notifications.registry import Reminder, lead_time, reminder_rule

    @reminder_rule("workitem_due", label=_("Work item due soon"), default_lead=timedelta(hours=24))
    def work_items_due(*, now):
        for item in WorkItem.objects.filter(...).select_related("owner", "project"):
            yield Reminder(recipient=item.owner, kind="workitem_due", project=item.project, subject=item,
                           message=..., url=..., due_at=item.due_at,
                           dedupe_key=f"workitem_due:{item.pk}:{item.due_at:%Y%m%d%H%M}")

Messages are stored as a template key and parameters and rendered when they are read: in-app
in the reader's current language, e-mail and chat in the recipient's (channel's) preference.
An app registers each sentence once with `message_template(key, gettext_lazy("… %(name)s …"),
labels={"status": Status})` (in its `reminders.py`) and passes `TEMPLATE(name=..., status=...)`
as the message: parameters are plain JSON, translatable ones (statuses, roles) given as their
key and named in `labels`. Rules use set-based queries (no query per row). `lead_time(project_id, kind)` gives the lead
time configured for that project (or the rule's default). The sweep inserts the reminders in
bulk and ignores dedupe keys that exist already, so running it twice tells nobody twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from projects.texts import Template, Text
from projects.texts import render as _render_text
from projects.texts import template as _register_text
from projects.texts import template_for as _template_for


def message_template(key, text, *, labels=None) -> Template:
    """Register a notification sentence under `key` (unique across apps; usually the kind, or
    `<kind>.<variant>` when a kind has several sentences). Returns the template: call it with the
    parameters to get the message, e.g. `notify(..., message=DEFECT_ASSIGNED(key=..., severity="major"))`.

    `text` is a `gettext_lazy` msgid with named placeholders (`%(name)s` or `{name}`), or
    `ngettext_lazy(singular, plural, "n")`; `labels` names the parameters stored as keys and
    translated at render: {param: TextChoices class | {key: lazy label} | function}."""
    return _register_text(key, text, labels=labels)


_discovered = False


def message(key, /, **params) -> Text:
    """The message of the registered template `key` (for code that may not import the app that
    registered it, like the demo): `message("defect_assigned", key="D-7", title=..., severity="major")`."""
    global _discovered
    if not _discovered:
        autodiscover()
        _discovered = True
    found = _template_for(key)
    if found is None:
        raise LookupError(f"No message template {key!r} is registered")
    return found(**params)


def render_message(key, params, *, fallback=""):
    """A stored message (template key + parameters) in the active language; `fallback` (the text
    rendered when it was written) for rows written before messages had keys, or whose template is gone."""
    global _discovered
    if not key:
        return fallback
    if not _discovered:  # the templates live in the apps' reminders.py
        autodiscover()
        _discovered = True
    return _render_text(key, params, fallback=fallback)


class Message:
    """An unregistered message (kept for callers outside the apps): a lazy template and its fields.

    Prefer a registered `message_template`: a `Message` is rendered once, when it is written, in
    the recipient's language, and cannot follow the reader's language later.

    Like `format_lazy(gettext_lazy(template), **fields)`, but cheap to make by the hundred
    thousand, and the sweep translates each template once per language and batch rather than
    once per row. `str(message)` renders it in the active language. The template is a
    `gettext_lazy` / `pgettext_lazy` string; a plural (`ngettext_lazy`) needs its number, so
    give that one as `format_lazy(...)` instead.
    """

    __slots__ = ("template", "fields")

    def __init__(self, template, /, **fields):
        self.template = template
        self.fields = fields

    def render(self, translated=None):
        return (translated if translated is not None else str(self.template)).format(**self.fields)

    def __str__(self):
        return self.render()


@dataclass
class Reminder:
    recipient: Any
    kind: str
    message: Any  # a Text from a registered message_template (else a lazy string or plain text)
    dedupe_key: str
    project: Any = None
    subject: Any = None
    url: str = ""
    due_at: datetime | None = None


@dataclass(frozen=True)
class Rule:
    kind: str
    label: Any
    func: Callable
    default_lead: timedelta | None = None
    skips_told: bool = False


_rules: dict[str, Rule] = {}


def reminder_rule(kind, *, label, default_lead=None, skips_told=False):
    """Register `func(*, now)` as the rule for `kind`.

    `skips_told=True` says the rule's own query already leaves out what was told (an `Exists`
    on Notification matching the dedupe key's parts), so the sweep need not look each batch's
    keys up before rendering. Either way the unique dedupe key means nobody is told twice.
    """
    def decorate(func):
        _rules[kind] = Rule(kind=kind, label=label, func=func, default_lead=default_lead, skips_told=skips_told)
        return func

    return decorate


def rules():
    autodiscover()
    return dict(_rules)


def autodiscover():
    from django.conf import settings

    for app in settings.LIFTOFF_APPS:
        if find_spec(f"{app}.reminders") is not None:
            import_module(f"{app}.reminders")


def lead_time(project_id, kind):
    """Lead time for `kind` in a project: the project's setting, else the rule's default."""
    from .leads import configured_lead  # implemented by the notifications app (per-project settings)

    rule = _rules.get(kind)
    default = rule.default_lead if rule else None
    return configured_lead(project_id, kind) or default


__all__ = ["Message", "message", "Reminder", "Template", "Text", "event_kind", "event_kinds", "lead_time", "message_template",
           "render_message", "reminder_rule", "rules"]


# Kinds and escalation targets of the notifications app itself (alerts, channel tests).
ALERT = "alert"
CHANNEL_TEST = "channel_test"
ON_CALL_PRIMARY = "on_call_primary"
ON_CALL_BACKUP = "on_call_backup"


# Kinds that are not swept but sent at once by `notify()` (promotion, step ready, assignment):
# apps may name them here so preference pages and e-mails show a label instead of the key.
_event_kinds: dict[str, Any] = {}


def event_kind(kind, *, label):
    _event_kinds[kind] = label


def event_kinds():
    autodiscover()
    return dict(_event_kinds)
