"""Who may do what in training. Managers pass every rule (role_predicate)."""

import rules

from projects.access import has_role
from projects.rules import is_member, role_predicate

is_trainer = role_predicate("trainer")


@rules.predicate
def runs_session(user, obj):
    """On a session: a manager, or the trainer who runs it. On a project: any trainer or manager."""
    from .models import Session

    if obj is None:
        return False
    if isinstance(obj, Session):
        return has_role(user, obj.project_id) or (obj.trainer_id == user.pk and has_role(user, obj.project_id,
                                                                                         "trainer"))
    return has_role(user, obj, "trainer")


rules.add_perm("training.view", is_member)  # catalogue, my training, sessions, .ics
rules.add_perm("training.enrol", is_member)  # sign myself up / cancel my own seat
rules.add_perm("training.manage_courses", is_trainer)
rules.add_perm("training.manage_sessions", is_trainer)  # create sessions
rules.add_perm("training.run_session", runs_session)  # edit, roster, attendance, enrol or cancel others
rules.add_perm("training.view_coverage", is_trainer)  # coverage report, exports, reminders
rules.add_perm("training.manage_impacts", role_predicate("business", "trainer"))  # change impacts on staff
