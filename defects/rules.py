"""Who may do what with tests and defects. Pages, API and templates all ask these rules.

The object is the project (or anything with a `project`). Managers pass every rule. Workflow
steps that also depend on the defect (a developer works only on defects assigned to them) are
checked by `services.defect_transition`, which asks these same rules first.
"""

import rules

from projects.access import has_role, project_of
from projects.rules import is_manager, is_member, role_predicate

from .models import DefectSettings, TriageBy

# Security defects are seen only by these roles (and managers): in lists, pages, API and counts.
SECURITY_ROLES = ("tester", "developer", "ops")

can_see_security = role_predicate(*SECURITY_ROLES)
is_tester = role_predicate("tester")
# Everyone but branch staff: staff-only members use training, their feedback and notifications, not the
# testing area (pages 403, navigation and buttons hidden, API lists empty). They may still report a hypercare
# incident (the filing page offers only that to them) and give feedback; they do not follow defects.
TEAM_ROLES = ("developer", "tester", "business", "ops", "trainer")
is_team = role_predicate(*TEAM_ROLES)
is_fixer = role_predicate("developer", "ops")


def triage_by(project) -> str:
    """Who may triage in `project` (a TriageBy value); read once per project object (i.e. per request)."""
    cached = getattr(project, "_defect_triage_by", None)
    if cached is None:
        cached = (DefectSettings.objects.filter(project=project).values_list("triage_by", flat=True).first()
                  or DefectSettings._meta.get_field("triage_by").default)
        project._defect_triage_by = cached
    return cached


@rules.predicate
def may_triage(user, obj):
    """Managers always; testers too when the project lets them (its defect settings, default yes)."""
    if obj is None:
        return False
    project = project_of(obj)
    if has_role(user, project):
        return True
    return has_role(user, project, "tester") and triage_by(project) == TriageBy.MANAGERS_TESTERS

rules.add_perm("defects.view", is_team)
rules.add_perm("defects.view_security", can_see_security)
rules.add_perm("defects.file", is_member)  # hypercare incidents: any member (branch staff report them too)
rules.add_perm("defects.file_testing", is_tester)  # defects found in testing: testers
rules.add_perm("defects.triage", may_triage)  # new → open, assign, bulk triage (the project decides: testers too?)
rules.add_perm("defects.reject", is_tester)  # any open state → rejected
rules.add_perm("defects.verify", is_tester)  # fixed → verified → closed, reopen
rules.add_perm("defects.work", is_fixer)  # open/reopened → in progress → fixed (own defects)
rules.add_perm("defects.comment", is_team)
rules.add_perm("defects.attach", is_team)
rules.add_perm("defects.manage_tests", is_tester)  # cycles, cases, results
rules.add_perm("defects.configure_sla", is_manager)
# Security findings: seen and worked on by the security roles; testers record and verify them;
# only a manager approves accepting a risk (and never the person who asked for it: see services).
rules.add_perm("defects.view_findings", can_see_security)
rules.add_perm("defects.fix_finding", can_see_security)
rules.add_perm("defects.record_finding", is_tester)
rules.add_perm("defects.accept_risk", is_manager)
