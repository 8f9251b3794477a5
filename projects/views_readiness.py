"""Pages of the readiness scorecard: the scorecard with trends, and the per-project targets."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import readiness_dashboard, readiness_services
from .errors import DomainError
from .readiness_forms import ReadinessSettingsForm
from .views_base import form_error, project_view, render_page


def dashboard_context(request, project):
    """Extra context of the project home (the project manager's dashboard)."""
    return {"dash": readiness_dashboard.dashboard(project=project, user=request.user)}


@project_view()
def readiness_page(request, project):
    dash = readiness_dashboard.dashboard(project=project, user=request.user)
    context = {"result": dash["result"], "dash": dash, "section": "readiness",
               "can_configure": request.user.has_perm("projects.configure_readiness", project)}
    return render_page(request, "projects/readiness.html", context, partial="scorecard")


@project_view("projects.configure_readiness")
def readiness_settings(request, project):
    form = ReadinessSettingsForm(request.POST or None, project=project)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                readiness_services.readiness_settings_set(
                    actor=request.user, project=project, settings=form.settings(),
                    required_signoffs=form.cleaned_data["required_signoffs"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Readiness targets saved."))
                return redirect("projects:readiness", project.pk)
        status = 400
    response = render_page(request, "projects/readiness_settings.html", {"form": form, "section": "readiness"})
    response.status_code = status
    return response


@project_view("projects.configure_readiness")
@require_POST
def readiness_snapshot_now(request, project):
    readiness_services.readiness_snapshot_take(project=project)
    messages.success(request, _("Today's readiness snapshot was taken."))
    return redirect("projects:readiness", project.pk)
