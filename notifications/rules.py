"""Who may do what with notifications. A person's own inbox and preferences need no rule (they
are always filtered by recipient); the per-project settings, chat channels, escalation policies
and alerts are guarded here."""

import rules

from projects.rules import is_manager, is_member, role_predicate


@rules.predicate
def was_called(user, alert):
    """The person was notified of this alert (whatever their role: the rota names who is on call)."""
    from .models import Alert, AlertEvent, AlertEventKind

    return isinstance(alert, Alert) and AlertEvent.objects.filter(
        alert=alert, user_id=user.pk, kind=AlertEventKind.NOTIFIED).exists()


is_ops = role_predicate("ops")

rules.add_perm("notifications.manage_reminders", is_manager)
rules.add_perm("notifications.manage_channels", is_manager)  # chat-robot channels of the project
rules.add_perm("notifications.manage_escalation", is_ops)  # escalation policies (ops and managers)
rules.add_perm("notifications.view_alerts", is_member)
rules.add_perm("notifications.trigger_alert", is_ops)  # people and monitoring tools (an ops member's token)
rules.add_perm("notifications.respond_alert", role_predicate("ops", "developer") | (is_member & was_called))
