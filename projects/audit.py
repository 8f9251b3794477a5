"""Audit history helpers: stamp the actor on saves and read a readable change log back."""

from django.utils.translation import gettext as _


def stamp(obj, actor):
    """Tell django-simple-history who made the change (services run outside requests too)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        obj._history_user = actor
    return obj


def _label(field, value):
    """Show a choice's label ("Changes requested"), not its stored value ("changes_requested")."""
    choices = getattr(field, "flatchoices", None)
    if choices:
        return dict(choices).get(value, value)
    return value


def history_for(obj, limit=50):
    """Newest-first list of {when, who, action, changes:[(field, old, new)]} for an object."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = record.instance._meta.get_field(change.field)
                changes.append((str(getattr(field, "verbose_name", change.field)), _label(field, change.old),
                                _label(field, change.new)))
        entries.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "action": {"+": _("created"), "~": _("changed"), "-": _("deleted")}[record.history_type],
                "changes": changes,
            }
        )
    return entries
