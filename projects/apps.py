from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            calendar,  # noqa: F401  registers the rota and milestone calendar feeds
            hooks,
            import_kinds,  # noqa: F401  registers the people and milestone imports
        )

        hooks.nav_item(key="home", label=_("Home"), url_name="projects:home", order=10)
        hooks.nav_item(key="team", label=_("Team"), url_name="projects:roster", order=80)
