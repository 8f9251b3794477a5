"""Who may configure readiness, hold the go/no-go meeting, sign it, and run the retrospective.

Imported from readiness_criteria.py (loaded by the AppConfig) so the rules exist before any check.
"""

import rules

from .access import has_role, project_of, roles_of
from .rules import is_manager, is_member


@rules.predicate
def holds_a_required_signoff_role(user, decision):
    """Only the roles the meeting lists may sign, and only people who really hold them.

    Unlike other rules, being the manager is not enough to sign for business, ops or testing."""
    if decision is None:
        return False
    return bool(roles_of(user, decision.project).intersection(decision.required_roles or []))


@rules.predicate
def owns_lesson_action(user, action):
    return action is not None and getattr(action, "owner_id", None) == user.pk


@rules.predicate
def authored_lesson(user, lesson):
    return lesson is not None and getattr(lesson, "author_id", None) == user.pk


@rules.predicate
def is_member_of_object(user, obj):
    return obj is not None and bool(roles_of(user, project_of(obj)))


@rules.predicate
def manages_object(user, obj):
    return obj is not None and has_role(user, project_of(obj))


rules.add_perm("projects.configure_readiness", is_manager)
rules.add_perm("projects.gonogo_hold", is_manager)  # open a meeting, record the final decision
rules.add_perm("projects.gonogo_sign", holds_a_required_signoff_role)
rules.add_perm("projects.lesson_add", is_member)  # add retrospective items and vote
rules.add_perm("projects.lesson_edit", manages_object | (is_member_of_object & authored_lesson))
rules.add_perm("projects.lesson_actions_manage", is_manager)  # create and reassign actions
rules.add_perm("projects.lesson_action_complete", manages_object | (is_member_of_object & owns_lesson_action))
