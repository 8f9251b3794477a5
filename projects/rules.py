"""Permission predicates: the one place that says who may do what in a project.

Every rule takes the project (or any object with a `project`) as the object. Pages, the API
and templates all ask `user.has_perm("<rule>", obj)`; nothing copies a role check.
"""

import rules

from .access import has_role, roles_of


def role_predicate(*roles):
    """True for members holding one of `roles` in the object's project, and for its managers."""

    @rules.predicate(name="has_role:" + ",".join(roles) if roles else "is_manager")
    def predicate(user, obj):
        return obj is not None and has_role(user, obj, *roles)

    return predicate


@rules.predicate
def is_member(user, obj):
    return obj is not None and bool(roles_of(user, obj))


@rules.predicate
def is_staff_user(user):
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


is_manager = role_predicate()

rules.add_perm("projects.view", is_member)
rules.add_perm("projects.manage", is_manager)  # project settings, roster, milestones, RACI
rules.add_perm("projects.manage_rota", role_predicate("ops"))
# Phone numbers and e-mail addresses: managers and ops, who call people on the night (and each person their own).
rules.add_perm("projects.see_contacts", role_predicate("ops"))
rules.add_perm("projects.create", is_staff_user)
# A new project from this one (a template): its manager, who must also be allowed to create projects.
rules.add_perm("projects.clone", is_manager & is_staff_user)
rules.add_perm("projects.audit_view", is_manager)  # the project-wide audit log and its CSV export
# Imports (projects.imports): each kind names its rule; managers import everything, ops work items too.
rules.add_perm("projects.import", is_manager)
rules.add_perm("projects.import_page", role_predicate("ops"))  # sees the import page (some kind is open)
