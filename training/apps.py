from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects import hooks

        hooks.nav_item(key="training", label=_("Training"), url_name="training:catalogue", order=40)
        from . import readiness_criteria, rules, selectors, services  # noqa: F401  (registers criteria and permissions)

        hooks.clone_part(key="courses", label=_("Courses with their materials, online modules and quiz questions"),
                         order=40, count=services.courses_count)(services.courses_copy)

        hooks.work_source(key="training", order=40)(
            lambda user, project: selectors.work_items(project=project, user=user))
