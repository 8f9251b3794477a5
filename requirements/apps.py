from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequirementsConfig(AppConfig):
    name = "requirements"
    verbose_name = _("Requirements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        hooks.nav_item(key="requirements", label=_("Requirements"), url_name="requirements:list", order=20)
        from . import (  # noqa: F401  registers the import, the export, rules, criteria
            export_kinds,
            import_kinds,
            readiness_criteria,
            rules,
            selectors,
        )

        hooks.work_source(key="requirements", order=30)(
            lambda user, project: selectors.work_items(user=user, project=project))
