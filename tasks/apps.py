from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Cutover")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        hooks.nav_item(key="cutover", label=_("Cutover"), url_name="tasks:runbooks", order=50)
        from . import (
            calendar,  # noqa: F401  registers the cutover calendar feed
            export_kinds,  # noqa: F401  registers the work-item export
            import_kinds,  # noqa: F401  registers the work-item import
            lessons,  # noqa: F401  adds the runs' issues to the lessons page
            readiness_criteria,  # noqa: F401  registers the cutover criteria
            rules,  # noqa: F401  registers the cutover permissions
            selectors,
            services,
        )

        hooks.clone_part(key="runbooks", label=_("Runbooks and their steps (with dependencies, without owners)"),
                         order=30, count=services.runbooks_count)(services.runbooks_copy)
        hooks.clone_part(key="contingency_scenarios", label=_("Contingency scenarios (without owners)"), order=35,
                         count=services.scenarios_count)(services.scenarios_copy)
        hooks.duty_source(key="cutover")(selectors.cutover_duties)
        hooks.work_source(key="cutover", order=10)(
            lambda user, project: selectors.work_items(user=user, project=project))

        # "My work": the environment checks a person owns that are not ready (kind `check_to_do`).
        hooks.work_source(key="env_checks", order=55)(
            lambda user, project: selectors.my_env_checks(user=user, project=project))
