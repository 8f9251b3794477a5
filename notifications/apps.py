from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            reminders,  # noqa: F401  registers the projects app's reminder rules
            rules,  # noqa: F401  permission rules
        )
