"""Who may do what with requirements and surveys (pages, API and templates all ask these)."""

import rules

from projects.rules import is_manager, is_member, role_predicate

writer = role_predicate("business")


@rules.predicate
def is_author(user, requirement):
    """The object is a requirement its author asks about (a project as the object is nobody's)."""
    return getattr(requirement, "author_id", None) is not None and requirement.author_id == user.pk


rules.add_perm("requirements.view", is_member)  # every member reads requirements and surveys
rules.add_perm("requirements.write", writer)  # create, edit, submit requirements; conflicts
rules.add_perm("requirements.review", writer)  # approve, reject, request changes (never one's own)
# Take a submitted requirement back to draft: its author (still a writer) or a manager. Object: the requirement.
rules.add_perm("requirements.withdraw", is_manager | (writer & is_author))
rules.add_perm("requirements.manage_survey", writer)  # surveys, questions, interviews, summaries
rules.add_perm("requirements.answer_survey", is_member)  # the service checks the target departments
