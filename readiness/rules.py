"""Who may see the scorecard, configure it, hold the go/no-go meeting and sign it.

Imported from readiness_criteria.py (loaded by the AppConfig) so the rules exist before any check.
"""

import rules

from projects.access import roles_of
from projects.rules import is_manager, is_member


@rules.predicate
def holds_a_required_signoff_role(user, decision):
    """Only the roles the meeting lists may sign, and only people who really hold them.

    Unlike other rules, being the manager is not enough to sign for business, ops or testing."""
    if decision is None:
        return False
    return bool(roles_of(user, decision.project).intersection(decision.required_roles or []))


rules.add_perm("readiness.view", is_member)  # scorecard, dashboard, meetings and their reports
rules.add_perm("readiness.configure", is_manager)  # targets, weights, mandatory flags, sign-off roles
rules.add_perm("readiness.gonogo_hold", is_manager)  # open a meeting, record the final decision
rules.add_perm("readiness.gonogo_sign", holds_a_required_signoff_role)
