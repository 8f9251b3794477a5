"""Directory sign-in: the hooks django-python3-ldap and mozilla-django-oidc call (settings name them).

Both are off unless configured (docs/configuration.md, "Directory sign-in"). A person found in the
directory gets a Django user without a usable password (created on first sign-in, or earlier by
the people import: the username is the key) whose name and e-mail follow the directory at every
sign-in; the directory's department is kept in `DirectoryProfile` and given to the person's
memberships in projects that have a department of that name.
"""

import logging

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django_python3_ldap.utils import clean_ldap_name, format_search_filters
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from projects.models import Department, DirectoryProfile, DirectorySource, Membership

log = logging.getLogger(__name__)

USER_FIELD_LENGTHS = {"username": 150, "first_name": 150, "last_name": 150, "email": 254}


def _fit(fields: dict) -> dict:
    """Directory values trimmed to what the user table holds (a long cn must not fail a sign-in)."""
    return {k: (str(v).strip()[: USER_FIELD_LENGTHS.get(k, 150)] if v is not None else "") for k, v in fields.items()}


def ldap_clean_user_data(model_fields: dict) -> dict:
    return _fit(model_fields)


def ldap_search_filters(ldap_fields: dict) -> list:
    """The user's own filter, plus `memberOf=<group>` when only one group may sign in."""
    filters = format_search_filters(ldap_fields)
    group = getattr(settings, "LIFTOFF_LDAP_REQUIRE_GROUP", "")
    if group:
        filters.append(f"(memberOf={clean_ldap_name(group)})")
    return filters


def _first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else ""
    return value or ""


@transaction.atomic
def apply_department(*, user, department: str, source: str) -> None:
    """Remember the directory's department and set it on memberships in projects that have it."""
    department = str(department or "").strip()[:120]
    profile, _created = DirectoryProfile.objects.get_or_create(user=user, defaults={"source": source})
    if (profile.department, profile.source) != (department, source):
        profile.department, profile.source = department, source
        profile.save(update_fields=["department", "source", "synced_at"])
    if not department:
        return
    by_project = {d.project_id: d for d in Department.objects.filter(
        name__iexact=department, project__memberships__user=user).distinct()}
    for membership in Membership.objects.filter(user=user, project_id__in=by_project).exclude(
            department__in=by_project.values()):
        membership.department = by_project[membership.project_id]
        membership.save(update_fields=["department"])


def ldap_sync_user(user, ldap_attributes, **_kwargs) -> None:
    attr = getattr(settings, "LIFTOFF_LDAP_DEPARTMENT_ATTR", "department")
    apply_department(user=user, department=_first(ldap_attributes.get(attr)), source=DirectorySource.LDAP)
    log.info("directory sign-in (LDAP): %s", user.get_username())


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc, matching people by username (the directory's key), not by e-mail."""

    def authenticate(self, request, **kwargs):
        """A code the provider refuses, a bad signature or a wrong nonce is a failed sign-in (back to
        the login page saying so), never a server error."""
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation) as exc:
            log.warning("single sign-on refused: %s", exc)
            return None

    def _username(self, claims):
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or "").strip()[:150]

    def verify_claims(self, claims):
        return bool(self._username(claims))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=self._username(claims))

    def _update(self, user, claims):
        fields = _fit({"first_name": claims.get("given_name", ""), "last_name": claims.get("family_name", ""),
                       "email": claims.get("email", "")})
        changed = [k for k, v in fields.items() if v and getattr(user, k) != v]
        for k in changed:
            setattr(user, k, fields[k])
        if changed:
            user.save(update_fields=changed)
        apply_department(user=user, department=claims.get(settings.OIDC_DEPARTMENT_CLAIM, ""),
                         source=DirectorySource.OIDC)
        return user

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self._username(claims))  # no usable password
        return self._update(user, claims)

    def update_user(self, user, claims):
        return self._update(user, claims)
