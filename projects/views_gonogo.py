"""Pages of the go/no-go decision: meetings, e-signed sign-offs, final decision, report, Excel."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import gonogo
from .api_base import require
from .errors import DomainError
from .readiness_forms import FinalizeForm, GoNoGoOpenForm, SignOffForm
from .readiness_services import signoff_roles
from .views_base import form_error, project_view, render_page


@project_view()
def gonogo_list(request, project):
    can_hold = request.user.has_perm("projects.gonogo_hold", project)
    form = None
    status = 200
    if can_hold:
        initial = {"title": _("Go/no-go meeting %(n)d") % {"n": project.gonogo_decisions.count() + 1},
                   "meeting_at": timezone.localtime().replace(second=0, microsecond=0),
                   "required_roles": signoff_roles(project)}
        form = GoNoGoOpenForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_hold:
            raise PermissionDenied
        if form.is_valid():
            try:
                decision = gonogo.gonogo_open(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Meeting opened; the readiness evidence is frozen."))
                return redirect("projects:gonogo", project.pk, decision.pk)
        status = 400
    decisions = list(gonogo.decisions(project=project))
    for d in decisions:
        d.rows = gonogo.signoff_rows(d)
    open_meeting = next((d for d in decisions if not d.is_final), None)
    if request.method == "POST":
        open_meeting = None  # show the form with its error instead
    response = render_page(request, "projects/gonogo_list.html",
                           {"decisions": decisions, "form": form, "open_meeting": open_meeting, "section": "readiness"},
                           partial="meetings")
    response.status_code = status
    return response


def _detail(request, project, decision, *, sign_form=None, final_form=None, status=200):
    can_hold = request.user.has_perm("projects.gonogo_hold", project)
    may_sign = gonogo.roles_user_may_sign(decision, request.user)
    if sign_form is None and may_sign:
        sign_form = SignOffForm(roles=may_sign)
    if final_form is None and can_hold and not decision.is_final:
        final_form = FinalizeForm()
    context = {"decision": decision, "rows": gonogo.signoff_rows(decision), "sign_form": sign_form,
               "final_form": final_form, "blockers": gonogo.evidence_blockers(decision), "can_hold": can_hold,
               "evidence_rows": gonogo.evidence_rows(decision), "recorded_in": gonogo.evidence_recorded_in(decision),
               "section": "readiness"}
    response = render(request, "projects/gonogo_detail.html", context)
    response.status_code = status
    return response


@project_view()
def gonogo_detail(request, project, decision_id):
    decision = gonogo.decision_get(project=project, pk=decision_id)
    return _detail(request, project, decision)


@project_view()
@require_POST
def gonogo_sign(request, project, decision_id):
    decision = gonogo.decision_get(project=project, pk=decision_id)
    require(request.user, "projects.gonogo_sign", decision)
    form = SignOffForm(request.POST, roles=gonogo.roles_user_may_sign(decision, request.user) or decision.required_roles)
    if form.is_valid():
        try:
            gonogo.gonogo_sign(decision=decision, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your sign-off is recorded."))
            return redirect("projects:gonogo", project.pk, decision.pk)
    decision = gonogo.decision_get(project=project, pk=decision_id)
    return _detail(request, project, decision, sign_form=form, status=400)


@project_view("projects.gonogo_hold")
@require_POST
def gonogo_finalize(request, project, decision_id):
    decision = gonogo.decision_get(project=project, pk=decision_id)
    form = FinalizeForm(request.POST)
    if form.is_valid():
        try:
            gonogo.gonogo_finalize(decision=decision, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The decision is recorded and is now final."))
            return redirect("projects:gonogo", project.pk, decision.pk)
    decision = gonogo.decision_get(project=project, pk=decision_id)
    return _detail(request, project, decision, final_form=form, status=400)


@project_view("projects.gonogo_hold")
@require_POST
def gonogo_edit(request, project, decision_id):
    """Correct an open meeting's title or time. A final decision is refused (400, with the reason)."""
    decision = gonogo.decision_get(project=project, pk=decision_id)
    changes = {}
    if request.POST.get("title") is not None:
        changes["title"] = request.POST["title"]
    try:
        gonogo.gonogo_update(actor=request.user, decision=decision, **changes)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        if request.htmx:
            return HttpResponse(str(exc.message), status=400)
        return _detail(request, project, gonogo.decision_get(project=project, pk=decision_id), status=400)
    messages.success(request, _("Meeting saved."))
    return redirect("projects:gonogo", project.pk, decision.pk)


@project_view()
def gonogo_report(request, project, decision_id):
    decision = gonogo.decision_get(project=project, pk=decision_id)
    context = {"decision": decision, "rows": gonogo.signoff_rows(decision),
               "blockers": gonogo.evidence_blockers(decision), "evidence_rows": gonogo.evidence_rows(decision),
               "recorded_in": gonogo.evidence_recorded_in(decision), "printed_at": timezone.now(),
               "section": "readiness"}
    return render(request, "projects/gonogo_report.html", context)


@project_view()
def gonogo_blockers_xlsx(request, project, decision_id):
    decision = gonogo.decision_get(project=project, pk=decision_id)
    content = gonogo.blockers_xlsx(decision, request=request)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (f'attachment; filename="{project.code}-gonogo-{decision.pk}-blockers.xlsx"')
    return response
