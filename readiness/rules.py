"""Who may see the scorecard, configure it, hold the go/no-go meeting and sign it.

Imported from readiness_criteria.py (loaded by the AppConfig) so the rules exist before any check.
"""

import rules

from projects.access import project_of, roles_of
from projects.rules import is_manager, is_member, role_predicate

from .models import ReportSponsor, Risk

# The roles that own risks of their area (technical, data, network, business, security...).
RISK_ROLES = ("developer", "tester", "business", "ops")


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


@rules.predicate
def owns_a_risk(user, obj):
    """Anyone who owns a risk of the project sees the register, whatever their role."""
    project = project_of(obj)
    if project is None or not roles_of(user, project):
        return False
    return Risk.objects.filter(project=project, owner=user).exists()


@rules.predicate
def is_risk_owner(user, risk):
    return risk is not None and getattr(risk, "owner_id", None) == user.pk and bool(roles_of(user, risk.project))


# Risks and the status report: managers and the roles that own risks; other members get 403, outsiders 404.
rules.add_perm("readiness.risk_view", role_predicate(*RISK_ROLES) | owns_a_risk)
rules.add_perm("readiness.risk_manage", is_manager)  # enter risks, rename, recategorise, hand over
rules.add_perm("readiness.risk_work", is_manager | is_risk_owner)  # on a risk: mitigation, rating, status, review


@rules.predicate
def is_action_owner(user, action):
    return action is not None and getattr(action, "owner_id", None) == user.pk and bool(roles_of(user, action.project))


rules.add_perm("readiness.meeting_view", is_member)  # meetings, minutes, decisions, actions
rules.add_perm("readiness.meeting_hold", is_manager)  # minute meetings, decisions, give out actions
rules.add_perm("readiness.action_work", is_manager | is_action_owner)  # mark an action done or open again


@rules.predicate
def is_report_sponsor(user, obj):
    project = project_of(obj)
    if project is None or not roles_of(user, project):
        return False
    return ReportSponsor.objects.filter(project=project, user=user).exists()


# The weekly status report: managers, the roles that own risks and the sponsors; others 403, outsiders 404.
rules.add_perm("readiness.report_view", role_predicate(*RISK_ROLES) | is_report_sponsor)
rules.add_perm("readiness.report_send", is_manager)  # summary, sponsors, send now
