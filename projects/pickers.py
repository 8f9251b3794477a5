"""Choosing one of thousands: a text box with suggestions instead of a drop-down of everything.

A bank's launch has thousands of members and requirements; a `<select>` of all of them would
weigh megabytes on every form. `MemberField` (and any `LookupInput`) renders a text box tied to a
`<datalist>` that htmx fills from a lookup page as the person types (`projects:people_lookup` for
members). Without JavaScript one types the login (or the code) directly. The field accepts what
a suggestion fills in ("王建国 (s00012)"), a login, or a user id (what the API and old links send).
"""

import json
import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Membership, Role
from .people import display_name

User = get_user_model()

SUGGESTIONS = 15
_IN_PARENS = re.compile(r"\(([^()]+)\)\s*$")


def member_label(user):
    """What a suggestion fills in and what the box shows for a chosen person: "Name (login)"."""
    name = display_name(user)
    return name if name == user.get_username() else f"{name} ({user.get_username()})"


class LookupInput(forms.TextInput):
    """A text box whose suggestions come from `url` (an htmx GET with the box's value as `q`)."""

    def __init__(self, *, url, attrs=None):
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})
        self.url = url

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}-suggestions"
        attrs.update({"list": list_id, "hx-get": self.url, "hx-trigger": "input changed delay:250ms, focus once",
                      "hx-target": f"#{list_id}", "hx-swap": "innerHTML", "hx-vals": json.dumps({"field": name}),
                      "hx-sync": "this:replace"})
        box = super().render(name, value, attrs, renderer)
        current = format_html('<option value="{}"></option>', value) if value else ""
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, current)


def members(project, roles=None):
    """Active members of `project`, holding one of `roles` when given."""
    mine = Membership.objects.filter(project=project)
    if roles:
        mine = mine.filter(role__in=roles)
    return User.objects.filter(is_active=True, pk__in=mine.values("user_id"))


def search_members(project, q, roles=None, limit=SUGGESTIONS):
    """Members whose login or name contains `q` (either order of a Chinese name), best first."""
    q = (q or "").strip()
    if not q:
        return []
    q = _IN_PARENS.sub("", q).strip() or q
    match = (Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
             | Q(email__istartswith=q))
    if len(q) >= 2:  # 王建国 is last_name 王 + first_name 建国
        match |= Q(last_name=q[:1], first_name__startswith=q[1:])
    return list(members(project, roles).filter(match).order_by("username")[:limit])


class MemberField(forms.Field):
    """A member of `project` (optionally holding one of `roles`), typed with suggestions."""

    default_error_messages = {
        "unknown": _("“%(value)s” is not a member of this project. Type a name or login and pick a suggestion."),
    }

    def __init__(self, *, project=None, roles=None, keep=None, **kwargs):
        self.project, self.roles, self.keep = project, roles, keep
        kwargs.setdefault("widget", LookupInput(url=""))
        super().__init__(**kwargs)
        if project is not None:
            self.bind(project, roles=roles, keep=keep)

    def bind(self, project, *, roles=None, keep=None):
        """Point the field at a project (forms that learn their project in __init__ call this)."""
        self.project, self.roles, self.keep = project, roles, keep
        url = reverse("projects:people_lookup", args=[project.pk])
        if roles:
            url += "?roles=" + ",".join(roles)
        self.widget.url = url
        return self

    def prepare_value(self, value):
        if isinstance(value, User):
            return member_label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            user = User.objects.filter(pk=int(value)).first()
            return member_label(user) if user else value
        return value

    def to_python(self, value):
        if isinstance(value, User):
            return value
        text = (str(value) if value is not None else "").strip()
        if not text:
            return None
        login = _IN_PARENS.search(text)
        login = login.group(1).strip() if login else text
        candidates = members(self.project, self.roles)
        if self.keep is not None:
            candidates = User.objects.filter(Q(pk__in=candidates.values("pk")) | Q(pk=getattr(self.keep, "pk", self.keep)))
        user = candidates.filter(username=login).first()
        if user is None and login.isdigit():
            user = candidates.filter(pk=int(login)).first()
        if user is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"value": text[:80]})
        return user


def suggestions_html(users, project=None):
    """<option>s for a datalist: the value fills the box, the label says who it is."""
    roles = {}
    if project is not None and users:
        for user_id, role in Membership.objects.filter(project=project, user__in=users).values_list("user_id", "role"):
            roles.setdefault(user_id, []).append(str(Role(role).label))
    return format_html_join("", '<option value="{}">{}</option>',
                            ((member_label(u), " · ".join(roles.get(u.pk, []))) for u in users))


# ---------------------------------------------------------------- records named by code

SELECT_LIMIT = 150  # up to this many choices a list is kinder; beyond, a box that takes codes
_CODES = re.compile(r"[\s,，;；、]+")


class RecordField(forms.Field):
    """One record (or, with `multiple`, several) of a project, named by its code.

    While the project has few (≤ SELECT_LIMIT) the field is a list to pick from, as before; with
    thousands (a core-banking launch has 10,000 requirements) it is a text box that takes codes,
    one ("REQ-0012", or a suggestion "REQ-0012 · title" from `lookup_url`) or several separated by
    commas or spaces, so no form ships a list of everything. Ids are accepted in either mode (what
    old links and tests send). Cleans to an object (or a list), or None / [] when left empty."""

    default_error_messages = {
        "unknown": _("No record with the code “%(value)s” in this project."),
    }

    def __init__(self, *, multiple=False, code_field="code", **kwargs):
        kwargs.setdefault("required", False)
        self.multiple, self.code_field, self.queryset, self.as_codes = multiple, code_field, None, False
        super().__init__(**kwargs)

    def bind(self, queryset, *, lookup_url=None, unknown=None):
        self.queryset = queryset
        if unknown:
            self.error_messages["unknown"] = unknown
        rows = list(queryset[:SELECT_LIMIT + 1])
        self.as_codes = len(rows) > SELECT_LIMIT
        if not self.as_codes:
            choices = [(obj.pk, str(obj)) for obj in rows]
            self.widget = (forms.SelectMultiple(attrs={"size": 6}, choices=choices) if self.multiple
                           else forms.Select(choices=[("", "---------"), *choices]))
        elif self.multiple:
            self.widget = forms.TextInput(attrs={"autocomplete": "off"})
            self.help_text = _("Codes separated by commas or spaces.")
        else:
            self.widget = LookupInput(url=lookup_url) if lookup_url else forms.TextInput(attrs={"autocomplete": "off"})
            self.help_text = _("Type a code or words of the title and pick a suggestion.")
        self.widget.is_required = self.required
        return self

    def _values(self, value):
        if self.multiple and isinstance(value, (list, tuple)):
            return list(value)
        if value in (None, ""):
            return []
        return [value]

    def prepare_value(self, value):
        if not self.as_codes:
            values = [getattr(v, "pk", v) for v in self._values(value)]
            return values if self.multiple else (values[0] if values else "")
        if isinstance(value, str):
            return value
        objects = [v for v in self._values(value) if hasattr(v, "pk")]
        ids = [v for v in self._values(value) if not hasattr(v, "pk")]
        if ids:
            objects += list(self.queryset.filter(pk__in=ids))
        return ", ".join(getattr(o, self.code_field) for o in objects)

    def to_python(self, value):
        by_code = self.as_codes and isinstance(value, str)
        if by_code:
            text = value.strip()
            if not self.multiple and text:  # "REQ-0012 · title": the code comes first
                text = text.split(" · ")[0].split()[0]
            tokens = [t for t in _CODES.split(text) if t]
        else:  # the list's choices are ids
            tokens = [str(getattr(v, "pk", v)).strip() for v in self._values(value) if str(v).strip()]
        if not tokens:
            return [] if self.multiple else None
        found = {}
        if by_code:
            for obj in self.queryset.filter(**{f"{self.code_field}__in": tokens}):
                found[getattr(obj, self.code_field)] = obj
        ids = [int(t) for t in tokens if t.isdigit() and t not in found]  # an id when no code matches
        for obj in self.queryset.filter(pk__in=ids) if ids else ():
            found.setdefault(str(obj.pk), obj)
        out = []
        for token in tokens:
            obj = found.get(token)
            if obj is None:
                raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"value": token[:40]})
            if obj not in out:
                out.append(obj)
        return out if self.multiple else out[0]


def record_suggestions_html(objects, *, code_field="code", label_field="title"):
    """<option>s for a RecordField's datalist: "CODE · title"."""
    return format_html_join("", '<option value="{} · {}"></option>',
                            ((getattr(o, code_field), getattr(o, label_field)) for o in objects))
