from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HypercareConfig(AppConfig):
    name = "hypercare"
    verbose_name = _("Hypercare")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        from . import readiness_criteria, rules  # noqa: F401  registers the rules and the dashboard's overdue list

        hooks.nav_item(key="hypercare", label=_("Hypercare"), url_name="hypercare:dashboard", order=60)
        hooks.nav_item(key="lessons", label=_("Lessons learned"), url_name="hypercare:lessons", order=70)
        hooks.header_link(key="feedback", label=_("Give feedback"), url_name="hypercare:feedback_new",
                          rule="hypercare.feedback", with_next=True)
