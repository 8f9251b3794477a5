"""Audit history helpers: stamp the actor on saves and read a readable change log back."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .people import display_name


def stamp(obj, actor):
    """Tell django-simple-history who made the change (services run outside requests too)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        obj._history_user = actor
    return obj


def _is_foreign_key(field):
    return getattr(field, "concrete", False) and (field.many_to_one or field.one_to_one)


def _label(field, value, related=None):
    """A value as a person reads it: a choice's label ("Changes requested", not "changes_requested"),
    a foreign key's target by name ("王建国", not 11)."""
    if _is_foreign_key(field):
        if value is None:
            return None
        found = (related or {}).get(field.related_model, {})
        if value in found:
            return found[value]
        return _("#%(id)s (deleted)") % {"id": value}
    choices = getattr(field, "flatchoices", None)
    if choices:
        return dict(choices).get(value, value)
    return value


def _related_names(changes):
    """{related model: {id: display}} for every foreign-key value in `changes`, one query per model.

    History rows keep only the ids; collecting them across the whole panel first keeps the page
    at a fixed number of queries however many entries it shows."""
    wanted = defaultdict(set)
    for field, old, new in changes:
        if _is_foreign_key(field):
            wanted[(field.related_model, field.remote_field.field_name)].update(v for v in (old, new) if v is not None)
    user_model = get_user_model()
    names = defaultdict(dict)
    for (model, key), ids in wanted.items():
        # The base manager: a target hidden by a filtering default manager still exists.
        for value, target in model._base_manager.in_bulk(ids, field_name=key).items():
            names[model][value] = display_name(target) if model is user_model else str(target)
    return names


def history_for(obj, limit=50):
    """Newest-first list of {when, who, action, changes:[(field, old, new)]} for an object.

    An update whose diff shows nothing is left out: the diff covers the fields a person edits, so
    such a record is a save that changed nothing or only bookkeeping (`updated_at`), and a bare
    "changed" with no details tells the reader nothing."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            changes = [(obj._meta.get_field(c.field), c.old, c.new) for c in record.diff_against(previous).changes]
            if not changes:
                continue
        rows.append((record, changes))
    related = _related_names(change for _record, changes in rows for change in changes)
    return [
        {
            "when": record.history_date,
            "who": record.history_user,
            "action": {"+": _("created"), "~": _("changed"), "-": _("deleted")}[record.history_type],
            "changes": [
                (str(getattr(field, "verbose_name", field.name)), _label(field, old, related),
                 _label(field, new, related))
                for field, old, new in changes
            ],
        }
        for record, changes in rows
    ]
