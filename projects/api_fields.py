"""Serializer fields that cannot reach the database with a value it refuses or an id the caller
may not see: one rule for every serializer of every app, installed once (projects.apps).

- A writable integer without a `max_value` gets the range of its model column (PostgreSQL's
  `integer` for an IntegerField, `bigint` for ids and everything else): 10¹² seats is a 400
  that names the field, not a 500 from the database.
- A writable string without a `max_length` gets its model column's.
- A primary-key relation (single or many) only finds objects of the caller's projects: an id of
  another project's object is "does not exist",
  exactly like an id that was never used, so the API cannot be used to learn what exists.

DRF has no setting for a serializer base class, so this wraps `Serializer.get_fields` (the one
place every serializer builds its fields) rather than asking every app to inherit from a new base.
"""

from django.core import validators
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils.translation import gettext as _
from rest_framework import relations, serializers

BIGINT = (-(2**63), 2**63 - 1)


def _model_field(model, source):
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None


def _int_range(model_field):
    if isinstance(model_field, models.IntegerField) and not isinstance(model_field, models.BigIntegerField):
        low, high = connection.ops.integer_field_range(model_field.get_internal_type())
        # SQLite has no column ranges; PostgreSQL's are what production enforces.
        from django.db.backends.postgresql.operations import DatabaseOperations

        pg = DatabaseOperations.integer_field_ranges.get(model_field.get_internal_type())
        if pg:
            low, high = pg
        if low is not None and high is not None:
            return low, high
    return BIGINT


def _bound_integer(field, model_field):
    low, high = _int_range(model_field)
    if field.max_value is None:
        field.max_value = high
        field.validators.append(validators.MaxValueValidator(
            high, message=field.error_messages["max_value"].format(max_value=high)))
    if field.min_value is None:
        field.min_value = low
        field.validators.append(validators.MinValueValidator(
            low, message=field.error_messages["min_value"].format(min_value=low)))


def _bound_string(field, model_field):
    length = getattr(model_field, "max_length", None)
    if length and field.max_length is None:
        field.max_length = length
        field.validators.append(validators.MaxLengthValidator(
            length, message=field.error_messages["max_length"].format(max_length=length)))


def _project_path(model):
    from .models import Project

    if model is Project:
        return "memberships__user"
    names = {f.name: f for f in model._meta.get_fields() if f.concrete}
    if "project" in names:
        return "project__memberships__user"
    for f in names.values():
        if f.many_to_one and f.related_model is not None and any(
                g.name == "project" for g in f.related_model._meta.get_fields()):
            return f"{f.name}__project__memberships__user"
    return None


def visible_queryset(queryset, user):
    """`queryset` cut to what `user` may see; None when the model is not project-scoped."""
    path = _project_path(queryset.model)
    if path is None:
        return None
    return queryset.filter(**{path: user}).distinct()


class VisibleOnlyMixin:
    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request") if hasattr(self, "context") else None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset
        return visible_queryset(queryset, user) if self._liftoff_scoped else queryset


def _scope_relation(field):
    if isinstance(field, relations.ManyRelatedField):
        field = field.child_relation
    if not isinstance(field, relations.PrimaryKeyRelatedField) or field.queryset is None:
        return
    if getattr(field, "_liftoff_scoped", None) is not None:
        return
    field._liftoff_scoped = _scoped_model(field.queryset.model)
    if field._liftoff_scoped:
        cls = field.__class__
        if cls not in _VISIBLE:
            _VISIBLE[cls] = type(f"Visible{cls.__name__}", (VisibleOnlyMixin, cls), {})
        field.__class__ = _VISIBLE[cls]


_VISIBLE = {}


def _scoped_model(model):
    # People are not project objects: the bank's directory is shared (members are added by id), and
    # the services say "not a member of this project" without naming any other project.
    return _project_path(model) is not None


class YearRangeValidator:
    """Dates and times a bank's project can mean (a year-309 go-live has no RFC 3339 offset either)."""

    low, high = 1900, 2999

    def __call__(self, value):
        if not self.low <= value.year <= self.high:
            raise serializers.ValidationError(_("Enter a date between the years %(low)d and %(high)d.")
                                              % {"low": self.low, "high": self.high})


def _describe_read_only(field, model_field):
    # DRF drops allow_blank/allow_null from fields named in Meta.read_only_fields; the schema
    # must still say that "" (a blank choice) or null can come back.
    if model_field is None:
        # A computed number or time (a property, an annotation) is null when there is nothing to compute.
        if isinstance(field, (serializers.IntegerField, serializers.FloatField, serializers.DecimalField,
                              serializers.DateTimeField, serializers.DateField, serializers.DurationField)):
            field.allow_null = True
        return
    if isinstance(field, serializers.ChoiceField) and model_field.blank:
        field.allow_blank = True
    if model_field.null:
        field.allow_null = True


def tighten(serializer, fields):
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    for name, field in fields.items():
        # Fields are bound (and get their `source`) after get_fields: fall back to the name.
        model_field = _model_field(model, field.source or name)
        if field.read_only:
            _describe_read_only(field, model_field)
            continue
        if isinstance(field, (serializers.DateTimeField, serializers.DateField)):
            field.validators.append(YearRangeValidator())
        if isinstance(field, serializers.IntegerField):
            _bound_integer(field, model_field)
        elif isinstance(field, serializers.CharField):
            _bound_string(field, model_field)
        _scope_relation(field)
    return fields


def install():
    # ModelSerializer builds its fields without calling Serializer.get_fields: wrap both.
    for cls in (serializers.Serializer, serializers.ModelSerializer):
        original = cls.__dict__["get_fields"]
        if getattr(original, "_liftoff", False):
            continue

        def get_fields(self, _original=original):
            return tighten(self, _original(self))

        get_fields._liftoff = True
        cls.get_fields = get_fields
