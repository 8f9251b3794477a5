"""Who may do what with notifications. A person's own inbox and preferences need no rule (they
are always filtered by recipient); the per-project reminder settings are for managers."""

import rules

from projects.rules import is_manager

rules.add_perm("notifications.manage_reminders", is_manager)
