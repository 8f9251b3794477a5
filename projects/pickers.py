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
