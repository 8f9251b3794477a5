from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReadinessConfig(AppConfig):
    name = "readiness"
    verbose_name = _("Readiness")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        from . import (
            calendar,  # noqa: F401  registers the go/no-go meetings' calendar feed
            export_kinds,  # noqa: F401  registers the risk export
            readiness_criteria,  # noqa: F401  registers the rules and the core's criteria and gauges
            registry,
            selectors,
            services,
        )
        from .views import dashboard_context

        registry.use_cached_evaluation(selectors.area_evaluation)
        hooks.nav_item(key="readiness", label=_("Readiness"), url_name="readiness:scorecard", order=90)
        hooks.nav_item(key="meetings", label=_("Meetings"), url_name="readiness:meetings", order=92)
        hooks.work_source(key="governance", order=60)(
            lambda user, project: selectors.my_governance_work(user=user, project=project))
        hooks.nav_item(key="status_report", label=_("Status report"), url_name="readiness:status_report", order=93,
                       rule="readiness.report_view")
        hooks.nav_item(key="risks", label=_("Risks"), url_name="readiness:risks", order=91,
                       rule="readiness.risk_view")
        hooks.home_panel(key="dashboard", template="readiness/_dashboard.html", css="css/readiness.css",
                         order=10)(dashboard_context)
        hooks.project_scores(selectors.portfolio_scores)
        hooks.clone_part(key="readiness_targets", label=_("Readiness targets and go/no-go sign-off roles"), order=60,
                         count=services.readiness_settings_count)(services.readiness_settings_copy)
