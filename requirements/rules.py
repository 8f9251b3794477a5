"""Who may do what with requirements and surveys (pages, API and templates all ask these)."""

import rules

from projects.rules import is_member, role_predicate

writer = role_predicate("business")

rules.add_perm("requirements.view", is_member)  # every member reads requirements and surveys
rules.add_perm("requirements.write", writer)  # create, edit, submit requirements; conflicts
rules.add_perm("requirements.review", writer)  # approve, reject, request changes (never one's own)
rules.add_perm("requirements.manage_survey", writer)  # surveys, questions, interviews, summaries
rules.add_perm("requirements.answer_survey", is_member)  # the service checks the target departments
