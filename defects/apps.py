from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DefectsConfig(AppConfig):
    name = "defects"
    verbose_name = _("Defects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        hooks.nav_item(key="testing", label=_("Testing"), url_name="defects:list", order=30,
                       rule="defects.view")
        from . import (  # noqa: F401 - register the import, the exports, criteria, rules
            export_kinds,
            import_kinds,
            readiness_criteria,
            rules,
            selectors,
            services,
        )

        hooks.clone_part(key="sla", label=_("Defect SLA hours per severity"), order=50,
                         count=services.slas_count)(services.slas_copy)

        hooks.work_source(key="defects", order=20)(
            lambda user, project: selectors.work_items(user=user, project=project))
