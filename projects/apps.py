from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed
        from simple_history.signals import post_create_historical_record

        from . import (
            audit,
            calendar,  # noqa: F401  registers the rota and milestone calendar feeds
            freshness,
            hooks,
            import_kinds,  # noqa: F401  registers the people and milestone imports
        )
        from .api_fields import install
        from .security import record_login_failure

        install()  # serializer bounds and visible-only relations for every app (projects.api_fields)

        user_login_failed.connect(record_login_failure, dispatch_uid="liftoff-login-failure-per-ip")

        post_create_historical_record.connect(audit.record, dispatch_uid="projects-audit-log")
        post_create_historical_record.connect(freshness.project_changed, dispatch_uid="projects-freshness")

        hooks.nav_item(key="home", label=_("Home"), url_name="projects:home", order=10)
        hooks.nav_item(key="team", label=_("Team"), url_name="projects:roster", order=80)
        hooks.nav_item(key="audit", label=_("Audit log"), url_name="projects:audit", order=200,
                       rule="projects.audit_view")
