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

Rules use set-based queries (no query per row). A high-volume rule gives its messages as
`Message(gettext_lazy("… {name} …"), name=...)`; any lazy string or plain text works too. `lead_time(project_id, kind)` gives the lead
time configured for that project (or the rule's default). The sweep inserts the reminders in
bulk and ignores dedupe keys that exist already, so running it twice tells nobody twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from importlib.util import find_spec
from typing import Any


class Message:
    """A message rendered in the reader's language: a lazy template and its fields.

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
    message: str
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
