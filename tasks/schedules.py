# Work-item reminders run in the notifications sweep (tasks/reminders.py registers the rules).
SCHEDULES = []
