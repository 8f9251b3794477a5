"""Who may do what in hypercare: the dashboard and daily report, staff feedback, lessons learned.

The object is the project (or anything with a `project`); managers pass every rule.
"""

import rules

from projects.access import has_role, project_of, roles_of
from projects.rules import is_manager, is_member, role_predicate


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


rules.add_perm("hypercare.view", is_member)  # dashboard and daily report
rules.add_perm("hypercare.feedback", is_member)  # submit, see their own
rules.add_perm("hypercare.triage_feedback", is_manager)  # see all, triage, answer
rules.add_perm("hypercare.lesson_add", is_member)  # add retrospective items and vote
rules.add_perm("hypercare.lesson_edit", manages_object | (is_member_of_object & authored_lesson))
rules.add_perm("hypercare.lesson_actions_manage", is_manager)  # create and reassign actions
rules.add_perm("hypercare.lesson_action_complete", manages_object | (is_member_of_object & owns_lesson_action))

# Customer complaints: any member records one (branch staff hear them first); ops, business experts
# and managers investigate and resolve them.
handles_complaints = role_predicate("ops", "business")
rules.add_perm("hypercare.complaint_view", is_member)
rules.add_perm("hypercare.complaint_record", is_member)
rules.add_perm("hypercare.complaint_handle", handles_complaints)
