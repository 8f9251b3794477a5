def configured_lead(project_id, kind):
    """Per-project lead-time override for reminder `kind`, or None to use the rule's default.

    Per-project settings come with the notifications app's ReminderSetting (issue 7)."""
    return None
