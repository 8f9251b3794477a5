from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        hooks.nav_item(key="alerts", label=_("Alerts"), url_name="notifications:alerts", order=55,
                       rule="notifications.view_alerts")

        @hooks.reader_state(key="unread")
        def unread(user):  # the bell of every page: a cached page is rebuilt when it changes
            from .selectors import unread_count

            return unread_count(user=user)

        from . import (
            reminders,  # noqa: F401  registers the projects app's reminder rules
            rules,  # noqa: F401  permission rules
        )
        from .registry import autodiscover

        # Every app's message templates (in its reminders.py) are known before any row is rendered.
        autodiscover()
