"""Audit history helpers: stamp the actor on saves, read a readable change log back, and keep the
project-wide audit log (every historical record, many-to-many links included)."""

import json
from collections import defaultdict

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

from .people import display_name
from .safety import safe_cell


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
    """Newest-first list of {when, who, action, reason, changes:[(field, old, new)]} for an object.

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
            "reason": getattr(record, "history_change_reason", None) or "",  # e.g. why a requirement was withdrawn
            "changes": [
                (str(getattr(field, "verbose_name", field.name)), _label(field, old, related),
                 _label(field, new, related))
                for field, old, new in changes
            ],
        }
        for record, changes in rows
    ]


# ----- the project-wide audit log (projects.models.AuditEntry) -----------------------------------

SKIP_FIELDS = {"id", "updated_at", "created_at"}


def _plain(value):
    """A value as JSON keeps it: ids for objects, ISO text for dates (DjangoJSONEncoder), text otherwise."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    try:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        return str(value)


def _m2m_ids(rows, target):
    """The ids linked in an m2m history snapshot ([{'from_step': 1, 'to_step': 2}] → [2])."""
    return sorted({_plain(row.get(target)) for row in rows or [] if row.get(target) is not None}, key=str)


def _changes(history_instance, instance):
    model = type(instance)
    m2m_targets = {f.name: get_m2m_reverse_field_name(f) for f in getattr(history_instance, "_history_m2m_fields", [])}
    if history_instance.history_type == "+":
        out = {}
        for field in model._meta.concrete_fields:
            if field.name in SKIP_FIELDS or not hasattr(history_instance, field.attname):
                continue
            value = getattr(history_instance, field.attname)
            if value not in (None, "", [], {}):
                out[field.name] = [None, _plain(value)]
        return out
    if history_instance.history_type == "-":
        return {}
    previous = history_instance.prev_record
    if previous is None:
        return {}
    delta = history_instance.diff_against(previous)
    out = {}
    for change in delta.changes:
        if change.field in SKIP_FIELDS:
            continue
        if change.field in m2m_targets:
            target = m2m_targets[change.field]
            old, new = _m2m_ids(change.old, target), _m2m_ids(change.new, target)
            if old != new:
                out[change.field] = [old, new]
        else:
            out[change.field] = [_plain(change.old), _plain(change.new)]
    return out


def record(sender, instance, history_instance, history_user=None, **kwargs):
    """simple-history's post_create_historical_record: append the change to its project's audit log.

    Objects outside any project (a user's preferences) are not in a project's log. An update that
    changed nothing a person edits (only bookkeeping) is left out, as on the history panels."""
    from .models import AuditEntry, Project

    project_id = project_id_of(instance)
    if project_id is None:
        return
    changes = _changes(history_instance, instance)
    if history_instance.history_type == "~" and not changes:
        return
    if isinstance(instance, Project) and history_instance.history_type == "-":
        return  # the project's own log goes with it
    AuditEntry.objects.create(
        project_id=project_id, at=history_instance.history_date,
        actor_id=getattr(history_user, "pk", None), model=instance._meta.label_lower,
        object_id=str(instance.pk), object_repr=_repr(instance), action=history_instance.history_type,
        changes=changes)


def _repr(instance):
    """How the object reads; an object deleted with its parent may no longer say (its __str__ needs it)."""
    try:
        return str(instance)[:200]
    except Exception:  # noqa: BLE001 - e.g. a drill deleted by its scenario's cascade
        return f"{instance._meta.verbose_name} #{instance.pk}"[:200]


def project_id_of(instance):
    """The project a tracked object belongs to (None for objects outside projects, e.g. a user)."""
    from .models import Project

    if isinstance(instance, Project):
        return instance.pk
    if getattr(instance, "project_id", None) is not None:
        return instance.project_id
    get_project = getattr(instance, "get_project", None)
    if get_project is not None:
        try:
            project = get_project()
        except Exception:  # noqa: BLE001 - a half-deleted object: it belongs to no project any more
            return None
        return getattr(project, "pk", None)
    return None


def audit_rows(entries):
    """CSV rows of audit entries: the header, then one row per entry (cells neutralised)."""
    names = {}

    def what(label):
        if label not in names:
            try:
                names[label] = str(apps.get_model(label)._meta.verbose_name)
            except (LookupError, ValueError):
                names[label] = label
        return names[label]

    yield [_("When"), _("Login"), _("Who"), _("Model"), _("What"), _("Object id"), _("Object"), _("Action"),
           _("Changes")]
    actions = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
    for e in entries:
        yield [safe_cell(v) for v in (
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor.get_username() if e.actor else "",
            display_name(e.actor) if e.actor else _("system"), e.model, what(e.model), e.object_id, e.object_repr,
            actions.get(e.action, e.action), json.dumps(e.changes, ensure_ascii=False, cls=DjangoJSONEncoder))]
