"""Pages of hypercare: the dashboard, the daily report, staff feedback and its triage, and the
retrospective (lessons learned). Thin: selectors read, services write."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from defects import charts as defect_charts
from projects import hooks
from projects.api_base import require
from projects.audit import history_for
from projects.downloads import protected_file_response
from projects.errors import DomainError
from projects.pagecache import page_cache
from projects.safety import local_path
from projects.views_base import form_error, fragment_wanted, project_view, render_page

from . import charts, selectors, services
from .forms import (
    AnswerForm,
    ComplaintFilterForm,
    ComplaintForm,
    ComplaintTransitionForm,
    FeedbackFilterForm,
    FeedbackForm,
    LessonActionForm,
    LessonForm,
    TriageForm,
)
from .models import FeedbackStatus, HypercareReportSubscription, Lesson, LessonAction


def _raise_if_denied(exc):
    if exc.code == "permission":
        raise PermissionDenied(str(exc.message))


def _ctx(**extra):
    return {"section": "hypercare", **extra}


def _subscribed(user, project):
    return HypercareReportSubscription.objects.filter(project=project, user=user).exists()


# ------------------------------------------------------------------ dashboard and report

@project_view("hypercare.view")
@page_cache()
def dashboard(request, project):
    data = selectors.dashboard(user=request.user, project=project)
    context = _ctx(
        d=data, subscribed=_subscribed(request.user, project),
        trend_chart=charts.incident_trend(data["trend"]),
        feedback_chart=charts.feedback_trend(data["feedback_trend"]),
        complaint_chart=charts.complaint_trend(data["complaints"]["trend"]),
        severity_chart=defect_charts.hbars([{"label": r["severity"].label, "count": r["count"],
                                      "css": f"sev-{r['severity'].value}"} for r in data["open_by_severity"]],
                                    label=_("Open incidents by severity")),
        can_triage=request.user.has_perm("hypercare.triage_feedback", project),
    )
    return render_page(request, "hypercare/dashboard.html", context, partial="figures")


@project_view("hypercare.view")
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
    data = None if error else selectors.report(user=request.user, project=project, day=day)
    context = _ctx(r=data, error=error, day=day, printed_at=timezone.now(),
                   previous=day - timedelta(days=1), next=day + timedelta(days=1),
                   subscribed=_subscribed(request.user, project))
    response = render_page(request, "hypercare/report.html", context)
    if error:
        response.status_code = 400
    return response


@project_view("hypercare.view")
@require_POST
def subscribe(request, project):
    on = request.POST.get("subscribe") == "1"
    try:
        services.report_subscribe(actor=request.user, project=project, subscribe=on)
    except DomainError as exc:
        _raise_if_denied(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You will receive the daily hypercare report every morning during hypercare.")
                         if on else _("You will no longer receive the daily hypercare report."))
    return redirect("hypercare:dashboard", project.pk)


# ------------------------------------------------------------------ feedback

@project_view("hypercare.feedback")
def feedback_new(request, project):
    came_from = local_path(request.GET.get("next") or request.POST.get("page_url"))
    form = FeedbackForm(request.POST or None, request.FILES or None, initial={"page_url": came_from})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            feedback = services.feedback_submit(
                actor=request.user, project=project, category=data["category"], text=data["text"],
                screenshot=data.get("screenshot"), page_url=came_from)
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("Thank you. Your feedback %(key)s was sent to the project team; you will see "
                                        "the answer under “My feedback”.") % {"key": feedback.key})
            return redirect("hypercare:feedback_detail", project.pk, feedback.pk)
    response = render_page(request, "hypercare/feedback_form.html", _ctx(
        form=form, max_mb=round(settings.UPLOAD_MAX_BYTES / 1048576, 1)))
    response.status_code = 400 if request.method == "POST" else 200
    return response


@project_view("hypercare.feedback")
@page_cache(areas=("projects", "hypercare", "defects", "requirements"))
def feedback_list(request, project):
    form = FeedbackFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.feedback_list_for_user(user=request.user, project=project, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    is_manager = request.user.has_perm("hypercare.triage_feedback", project)
    return render_page(request, "hypercare/feedback_list.html", _ctx(
        filters=form, page=page, items=page.object_list, is_manager=is_manager), partial="table")


def _detail(request, project, feedback_id, status=200, triage_form=None, answer_form=None):
    feedback = selectors.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    can_triage = request.user.has_perm("hypercare.triage_feedback", project)
    context = _ctx(
        f=feedback, can_triage=can_triage,
        triage_form=(triage_form or TriageForm()) if can_triage and feedback.status == FeedbackStatus.NEW else None,
        answer_form=(answer_form or AnswerForm(initial={"answer": feedback.answer}))
        if can_triage and feedback.status in (FeedbackStatus.TRIAGED, FeedbackStatus.ANSWERED) else None,
        history=history_for(feedback) if can_triage else None,
        requirement_url=_requirement_url(project, feedback) if feedback.outcome == "requirement" else "",
    )
    response = render_page(request, "hypercare/feedback_detail.html", context, partial="triage")
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


@project_view("hypercare.feedback")
def feedback_detail(request, project, feedback_id):
    return _detail(request, project, feedback_id)


@project_view("hypercare.triage_feedback")
@require_POST
def feedback_triage(request, project, feedback_id):
    feedback = selectors.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    form = TriageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            feedback = services.feedback_triage(
                actor=request.user, feedback=feedback, outcome=data["outcome"], answer=data["answer"],
                note=data["note"], severity=data["severity"] or "minor", title=data["title"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, feedback_id, status=400, triage_form=form)
    messages.success(request, _("%(key)s triaged: %(outcome)s.") % {"key": feedback.key,
                                                                     "outcome": feedback.get_outcome_display()})
    return redirect("hypercare:feedback_detail", project.pk, feedback.pk)


@project_view("hypercare.triage_feedback")
@require_POST
def feedback_answer(request, project, feedback_id):
    feedback = selectors.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_answer(actor=request.user, feedback=feedback,
                                              answer=form.cleaned_data["answer"], close=form.cleaned_data["close"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, feedback_id, status=400, answer_form=form)
    messages.success(request, _("Answer sent to the submitter."))
    return redirect("hypercare:feedback_detail", project.pk, feedback.pk)


@project_view("hypercare.feedback")
def feedback_screenshot(request, project, feedback_id):
    feedback = selectors.feedback_get_for_user(user=request.user, pk=feedback_id, project=project)
    return protected_file_response(feedback.screenshot, filename=feedback.screenshot_name,
                                   content_type=feedback.screenshot_type)


# ------------------------------------------------------------------ lessons learned

def _lessons_context(request, project, *, lesson_form=None, action_form=None):
    can_manage = request.user.has_perm("hypercare.lesson_actions_manage", project)
    context = selectors.retrospective(project=project, user=request.user)
    context.update({
        "lesson_form": lesson_form or LessonForm(),
        "action_form": action_form or (LessonActionForm(project=project) if can_manage else None),
        "can_manage": can_manage, "section": "lessons",
        # What other apps add to the retrospective (the cutover runs' issues), through projects.hooks.
        "page_panels": [] if request.htmx and not request.htmx.boosted else hooks.page_panels(request, project,
                                                                                               "lessons"),
    })
    return context


@project_view()
@page_cache()
def lessons_page(request, project):
    return render_page(request, "hypercare/lessons.html", _lessons_context(request, project), partial="board")


@project_view("hypercare.lesson_add")
@require_POST
def lesson_add(request, project):
    form = LessonForm(request.POST)
    if form.is_valid():
        try:
            services.lesson_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Added to the retrospective."))
            return redirect("hypercare:lessons", project.pk)
    return render(request, "hypercare/lessons.html", _lessons_context(request, project, lesson_form=form), status=400)


@project_view("hypercare.lesson_add")
@require_POST
def lesson_vote(request, project, lesson_id):
    lesson = get_object_or_404(Lesson, pk=lesson_id, project=project)
    services.lesson_vote(actor=request.user, lesson=lesson)
    if fragment_wanted(request):
        item = selectors.lessons_for(project=project, user=request.user).get(pk=lesson.pk)
        return render(request, "hypercare/lessons.html#item", {"item": item, "project": project})
    return redirect("hypercare:lessons", project.pk)


@project_view()
@require_POST
def lesson_delete(request, project, lesson_id):
    lesson = get_object_or_404(Lesson, pk=lesson_id, project=project)
    require(request.user, "hypercare.lesson_edit", lesson)
    services.lesson_delete(actor=request.user, lesson=lesson)
    messages.success(request, _("Item removed."))
    return redirect("hypercare:lessons", project.pk)


@project_view("hypercare.lesson_actions_manage")
@require_POST
def lesson_action_add(request, project):
    form = LessonActionForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.lesson_action_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Action added."))
            return redirect("hypercare:lessons", project.pk)
    return render(request, "hypercare/lessons.html", _lessons_context(request, project, action_form=form), status=400)


@project_view()
@require_POST
def lesson_action_status(request, project, action_id):
    action = get_object_or_404(LessonAction, pk=action_id, project=project)
    require(request.user, "hypercare.lesson_action_complete", action)
    try:
        services.lesson_action_update(actor=request.user, action=action, status=request.POST.get("status", "done"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Action updated."))
    return redirect("hypercare:lessons", project.pk)


@project_view()
def lessons_report_pdf(request, project):
    from projects.pdf import pdf_response

    from .exports import lessons_pdf

    context = selectors.retrospective(project=project, user=request.user)
    return pdf_response(lessons_pdf(project, context, printed_at=timezone.now()), f"{project.code}-lessons.pdf")


@project_view()
def lessons_report(request, project):
    context = selectors.retrospective(project=project, user=request.user)
    context.update({"printed_at": timezone.now(), "section": "lessons"})
    return render(request, "hypercare/lessons_report.html", context)


# ------------------------------------------------------------------------------------------ complaints

def _complaint_data(form):
    data = dict(form.cleaned_data)
    data["defect"] = data.pop("defect_number", None)
    if not data.get("received_at"):
        data.pop("received_at", None)
    return data


@project_view("hypercare.complaint_view")
def complaint_list(request, project):
    can_record = request.user.has_perm("hypercare.complaint_record", project)
    form = ComplaintForm(request.POST or None, project=project) if can_record else None
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                complaint = services.complaint_record(actor=request.user, project=project, **_complaint_data(form))
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Complaint %(key)s recorded.") % {"key": complaint.key})
                return redirect("hypercare:complaint", project.pk, complaint.pk)
        else:
            status = 400
    filters = ComplaintFilterForm(request.GET or None)
    qs = selectors.complaint_list_for_user(user=request.user, project=project,
                                           filters=filters.cleaned_data if filters.is_valid() else {})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    response = render_page(request, "hypercare/complaints.html", _ctx(
        form=form, filters=filters, page=page, items=page.object_list, tab="complaints"), partial="table")
    response.status_code = status
    return response


@project_view("hypercare.complaint_view")
def complaint_detail(request, project, complaint_id):
    complaint = selectors.complaint_get_for_user(user=request.user, pk=complaint_id, project=project)
    can_handle = request.user.has_perm("hypercare.complaint_handle", project)
    edit_form = move_form = None
    status = 200
    if can_handle:
        initial = {"channel": complaint.channel, "category": complaint.category, "description": complaint.description,
                   "customers_affected": complaint.customers_affected, "owner": complaint.owner_id,
                   "received_at": timezone.localtime(complaint.received_at),
                   "defect_number": complaint.defect.number if complaint.defect else None}
        edit_form = ComplaintForm(request.POST if request.POST.get("action") == "edit" else None, initial=initial,
                                  project=project)
        move_form = ComplaintTransitionForm(request.POST if request.POST.get("action") == "move" else None)
    if request.method == "POST":
        if not can_handle:
            raise PermissionDenied
        form = edit_form if request.POST.get("action") == "edit" else move_form
        if form.is_valid():
            try:
                if form is edit_form:
                    data = _complaint_data(form)
                    changes = {k: v for k, v in data.items() if getattr(complaint, k) != v}
                    services.complaint_update(actor=request.user, complaint=complaint, **changes)
                else:
                    services.complaint_transition(actor=request.user, complaint=complaint, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Complaint saved."))
                if fragment_wanted(request):
                    complaint = selectors.complaint_get_for_user(user=request.user, pk=complaint.pk)
                    move_form = ComplaintTransitionForm()
                else:
                    return redirect("hypercare:complaint", project.pk, complaint.pk)
        else:
            status = 400
    context = _ctx(c=complaint, can_handle=can_handle, edit_form=edit_form, move_form=move_form,
                   history=history_for(complaint), tab="complaints")
    response = render_page(request, "hypercare/complaint.html", context, partial="state")
    response.status_code = status
    return response
