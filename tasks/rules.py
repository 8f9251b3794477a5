"""Who may do what in the cutover area (docs/architecture.md, the app README)."""

import rules

from projects.access import has_role
from projects.rules import is_member, role_predicate


@rules.predicate
def owns_step(user, step):
    """The step's owner may execute it (a developer owning a deployment step, say)."""
    return step is not None and getattr(step, "owner_id", None) is not None and step.owner_id == user.pk


@rules.predicate
def owns_item(user, item):
    return item is not None and getattr(item, "owner_id", None) is not None and item.owner_id == user.pk


@rules.predicate
def owns_issue(user, issue):
    return issue is not None and getattr(issue, "owner_id", None) is not None and issue.owner_id == user.pk


@rules.predicate
def is_business(user, obj):
    return obj is not None and has_role(user, obj, "business")


is_ops = role_predicate("ops")
is_manager = role_predicate()

rules.add_perm("tasks.view", is_member)
rules.add_perm("tasks.import_work_items", is_ops)  # the work-item import (managers and ops)
rules.add_perm("tasks.edit", is_ops)  # runbooks, steps, runs, reconciliation checks, work items
rules.add_perm("tasks.execute_step", is_ops | (is_member & owns_step))  # object: RunStep
rules.add_perm("tasks.update_item", is_ops | (is_member & owns_item))  # object: WorkItem
rules.add_perm("tasks.skip_step", is_manager)
rules.add_perm("tasks.decide", is_manager)  # go/no-go on checkpoint steps
rules.add_perm("tasks.approve_plan", is_manager | is_business)
rules.add_perm("tasks.file_issue", role_predicate("ops", "developer", "tester"))  # the night's problem log
rules.add_perm("tasks.work_issue", is_ops | (is_member & owns_issue))  # object: CutoverIssue (or the project)
rules.add_perm("tasks.post_update", is_ops)
# Environment checklists: ops and managers write them; they and each item's owner check items and add evidence.
rules.add_perm("tasks.check_env", is_ops | (is_member & owns_item))  # object: EnvCheck (or the project)  # status updates to the war-room timeline and the chats
