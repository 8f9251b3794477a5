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
        from . import import_kinds, readiness_criteria, rules  # noqa: F401 - register the import, criteria, rules
