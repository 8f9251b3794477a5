"""Pages of hypercare (issue 9): the dashboard, the daily report, staff feedback and its triage.
Thin: hypercare.py reads, feedback_services.py writes."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from projects.audit import history_for
from projects.errors import DomainError
from projects.safety import local_path
from projects.views_base import form_error, project_view, render_page

from . import charts, feedback_services, hypercare, hypercare_charts
from .feedback_forms import AnswerForm, FeedbackFilterForm, FeedbackForm, TriageForm
from .models import FeedbackStatus, HypercareReportSubscription


def _raise_if_denied(exc):
    if exc.code == "permission":
        raise PermissionDenied(str(exc.message))


def _ctx(**extra):
    return {"section": "hypercare", **extra}


def _subscribed(user, project):
    return HypercareReportSubscription.objects.filter(project=project, user=user).exists()


# ------------------------------------------------------------------ dashboard and report

@project_view("defects.hypercare")
def dashboard(request, project):
    data = hypercare.dashboard(user=request.user, project=project)
    context = _ctx(
        d=data, subscribed=_subscribed(request.user, project),
        trend_chart=hypercare_charts.incident_trend(data["trend"]),
        feedback_chart=hypercare_charts.feedback_trend(data["feedback_trend"]),
        severity_chart=charts.hbars([{"label": r["severity"].label, "count": r["count"],
                                      "css": f"sev-{r['severity'].value}"} for r in data["open_by_severity"]],
                                    label=_("Open incidents by severity")),
        can_triage=request.user.has_perm("defects.triage_feedback", project),
    )
    return render_page(request, "defects/hypercare.html", context, partial="figures")


@project_view("defects.hypercare")
def report(request, project):
    raw = (request.GET.get("date") or "").strip()
    error = None
    day = timezone.localdate()
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            error = _("“%(v)s” is not a date; use YYYY-MM-DD, e.g. %(today)s.") % {
                "v": raw[:20], "today": timezone.localdate().isoformat()}
    data = None if error else hypercare.report(user=request.user, project=project, day=day)
    context = _ctx(r=data, error=error, day=day, printed_at=timezone.now(),
                   previous=day - timedelta(days=1), next=day + timedelta(days=1),
                   subscribed=_subscribed(request.user, project))
    response = render_page(request, "defects/hypercare_report.html", context)
    if error:
        response.status_code = 400
    return response


@project_view("defects.hypercare")
@require_POST
def subscribe(request, project):
    on = request.POST.get("subscribe") == "1"
    try:
        feedback_services.report_subscribe(actor=request.user, project=project, subscribe=on)
    except DomainError as exc:
        _raise_if_denied(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You will receive the daily hypercare report every morning during hypercare.")
                         if on else _("You will no longer receive the daily hypercare report."))
    return redirect("defects:hypercare", project.pk)


# ------------------------------------------------------------------ feedback

@project_view("defects.feedback")
def feedback_new(request, project):
    came_from = local_path(request.GET.get("next") or request.POST.get("page_url"))
    form = FeedbackForm(request.POST or None, request.FILES or None, initial={"page_url": came_from})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            feedback = feedback_services.feedback_submit(
                actor=request.user, project=project, category=data["category"], text=data["text"],
                screenshot=data.get("screenshot"), page_url=came_from)
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your feedback %(key)s was sent to the project team; you will see "
                                        "the answer under “My feedback”.") % {"key": feedback.key})
            return redirect("defects:feedback_detail", project.pk, feedback.pk)
    response = render_page(request, "defects/feedback_form.html", _ctx(
        form=form, max_mb=round(settings.UPLOAD_MAX_BYTES / 1048576, 1)))
    response.status_code = 400 if request.method == "POST" else 200
    return response


@project_view("defects.feedback")
def feedback_list(request, project):
    form = FeedbackFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = hypercare.feedback_list_for_user(user=request.user, project=project, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    is_manager = request.user.has_perm("defects.triage_feedback", project)
    return render_page(request, "defects/feedback_list.html", _ctx(
        filters=form, page=page, items=page.object_list, is_manager=is_manager), partial="table")


def _detail(request, project, feedback_id, status=200, triage_form=None, answer_form=None):
    feedback = hypercare.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    can_triage = request.user.has_perm("defects.triage_feedback", project)
    context = _ctx(
        f=feedback, can_triage=can_triage,
        triage_form=(triage_form or TriageForm()) if can_triage and feedback.status == FeedbackStatus.NEW else None,
        answer_form=(answer_form or AnswerForm(initial={"answer": feedback.answer}))
        if can_triage and feedback.status in (FeedbackStatus.TRIAGED, FeedbackStatus.ANSWERED) else None,
        history=history_for(feedback) if can_triage else None,
        requirement_url=_requirement_url(project, feedback) if feedback.outcome == "requirement" else "",
    )
    response = render_page(request, "defects/feedback_detail.html", context, partial="triage")
    response.status_code = status
    return response


def _requirement_url(project, feedback):
    """The new-requirement form, pre-filled from the feedback (the requirements app is optional)."""
    try:
        url = reverse("requirements:create", args=[project.pk])
    except NoReverseMatch:
        return ""
    note = feedback.triage_note or feedback.text
    return f"{url}?{urlencode({'title': feedback.text[:120], 'description': note})}"


@project_view("defects.feedback")
def feedback_detail(request, project, feedback_id):
    return _detail(request, project, feedback_id)


@project_view("defects.triage_feedback")
@require_POST
def feedback_triage(request, project, feedback_id):
    feedback = hypercare.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    form = TriageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            feedback = feedback_services.feedback_triage(
                actor=request.user, feedback=feedback, outcome=data["outcome"], answer=data["answer"],
                note=data["note"], severity=data["severity"] or "minor", title=data["title"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, feedback_id, status=400, triage_form=form)
    messages.success(request, _("%(key)s triaged: %(outcome)s.") % {"key": feedback.key,
                                                                     "outcome": feedback.get_outcome_display()})
    return redirect("defects:feedback_detail", project.pk, feedback.pk)


@project_view("defects.triage_feedback")
@require_POST
def feedback_answer(request, project, feedback_id):
    feedback = hypercare.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            feedback_services.feedback_answer(actor=request.user, feedback=feedback,
                                              answer=form.cleaned_data["answer"], close=form.cleaned_data["close"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, feedback_id, status=400, answer_form=form)
    messages.success(request, _("Answer sent to the submitter."))
    return redirect("defects:feedback_detail", project.pk, feedback.pk)


@project_view("defects.feedback")
def feedback_screenshot(request, project, feedback_id):
    feedback = hypercare.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    if not feedback.screenshot:
        raise Http404
    try:
        handle = feedback.screenshot.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=feedback.screenshot_name,
                            content_type=feedback.screenshot_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
