"""Pages of readiness: the scorecard and its targets, and the go/no-go decision (meetings,
e-signed sign-offs, final decision, printable report, Excel of the blockers). Thin."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from projects.api_base import require
from projects.audit import history_for
from projects.errors import DomainError
from projects.pagecache import page_cache
from projects.safety import local_path
from projects.views_base import form_error, fragment_wanted, project_view, render_page

from . import charts, exports, selectors, services
from .forms import (
    FinalizeForm,
    GoNoGoOpenForm,
    MeetingActionForm,
    MeetingDecisionForm,
    MeetingForm,
    ReadinessSettingsForm,
    RiskForm,
    RiskReviewForm,
    RiskTransitionForm,
    SignOffForm,
    SponsorsForm,
    StatusSummaryForm,
)
from .models import MeetingKind, ReportStatus, RiskCategory, RiskLevel, RiskStatus, StatusReport


def dashboard_context(request, project):
    """Extra context of the project home (the project manager's dashboard)."""
    return {"dash": selectors.dashboard(project=project, user=request.user)}


@project_view()
@page_cache()
def readiness_page(request, project):
    dash = selectors.dashboard(project=project, user=request.user)
    context = {"result": dash["result"], "dash": dash, "section": "readiness",
               "can_configure": request.user.has_perm("readiness.configure", project)}
    return render_page(request, "readiness/scorecard.html", context, partial="scorecard")


@project_view("readiness.configure")
def readiness_settings(request, project):
    form = ReadinessSettingsForm(request.POST or None, project=project)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.readiness_settings_set(
                    actor=request.user, project=project, settings=form.settings(),
                    required_signoffs=form.cleaned_data["required_signoffs"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Readiness targets saved."))
                return redirect("readiness:scorecard", project.pk)
        status = 400
    response = render_page(request, "readiness/settings.html", {"form": form, "section": "readiness"})
    response.status_code = status
    return response


@project_view("readiness.configure")
@require_POST
def readiness_snapshot_now(request, project):
    services.readiness_snapshot_take(project=project)
    messages.success(request, _("Today's readiness snapshot was taken."))
    return redirect("readiness:scorecard", project.pk)


# ----- go/no-go ----------------------------------------------------------------------------------


@project_view()
@page_cache()
def gonogo_list(request, project):
    can_hold = request.user.has_perm("readiness.gonogo_hold", project)
    form = None
    status = 200
    if can_hold:
        initial = {"title": _("Go/no-go meeting %(n)d") % {"n": project.gonogo_decisions.count() + 1},
                   "meeting_at": timezone.localtime().replace(second=0, microsecond=0),
                   "required_roles": selectors.signoff_roles(project)}
        form = GoNoGoOpenForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_hold:
            raise PermissionDenied
        if form.is_valid():
            try:
                decision = services.gonogo_open(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Meeting opened; the readiness evidence is frozen."))
                return redirect("readiness:gonogo", project.pk, decision.pk)
        status = 400
    decisions = list(selectors.decisions(project=project))
    for d in decisions:
        d.rows = selectors.signoff_rows(d)
    open_meeting = next((d for d in decisions if not d.is_final), None)
    if request.method == "POST":
        open_meeting = None  # show the form with its error instead
    response = render_page(request, "readiness/gonogo_list.html",
                           {"decisions": decisions, "form": form, "open_meeting": open_meeting, "section": "readiness"},
                           partial="meetings")
    response.status_code = status
    return response


def _detail(request, project, decision, *, sign_form=None, final_form=None, status=200):
    can_hold = request.user.has_perm("readiness.gonogo_hold", project)
    may_sign = selectors.roles_user_may_sign(decision, request.user)
    if sign_form is None and may_sign:
        sign_form = SignOffForm(roles=may_sign)
    mandatory = selectors.evidence_mandatory_blockers(decision)
    if final_form is None and can_hold and not decision.is_final:
        final_form = FinalizeForm(blockers=len(mandatory))
    context = {"decision": decision, "rows": selectors.signoff_rows(decision), "sign_form": sign_form,
               "final_form": final_form, "blockers": selectors.evidence_blockers(decision), "can_hold": can_hold,
               "mandatory_blockers": mandatory,
               "evidence_rows": selectors.evidence_rows(decision), "recorded_in": selectors.evidence_recorded_in(decision),
               "section": "readiness"}
    response = render(request, "readiness/gonogo_detail.html", context)
    response.status_code = status
    return response


@project_view()
def gonogo_detail(request, project, decision_id):
    decision = selectors.decision_get(project=project, pk=decision_id)
    return _detail(request, project, decision)


@project_view()
@require_POST
def gonogo_sign(request, project, decision_id):
    decision = selectors.decision_get(project=project, pk=decision_id)
    require(request.user, "readiness.gonogo_sign", decision)
    form = SignOffForm(request.POST, roles=selectors.roles_user_may_sign(decision, request.user) or decision.required_roles)
    if form.is_valid():
        try:
            services.gonogo_sign(decision=decision, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your sign-off is recorded."))
            return redirect("readiness:gonogo", project.pk, decision.pk)
    decision = selectors.decision_get(project=project, pk=decision_id)
    return _detail(request, project, decision, sign_form=form, status=400)


@project_view("readiness.gonogo_hold")
@require_POST
def gonogo_finalize(request, project, decision_id):
    decision = selectors.decision_get(project=project, pk=decision_id)
    form = FinalizeForm(request.POST, blockers=len(selectors.evidence_mandatory_blockers(decision)))
    if form.is_valid():
        try:
            services.gonogo_finalize(decision=decision, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The decision is recorded and is now final."))
            return redirect("readiness:gonogo", project.pk, decision.pk)
    decision = selectors.decision_get(project=project, pk=decision_id)
    return _detail(request, project, decision, final_form=form, status=400)


@project_view("readiness.gonogo_hold")
@require_POST
def gonogo_edit(request, project, decision_id):
    """Correct an open meeting's title or time. A final decision is refused (400, with the reason)."""
    decision = selectors.decision_get(project=project, pk=decision_id)
    changes = {}
    if request.POST.get("title") is not None:
        changes["title"] = request.POST["title"]
    try:
        services.gonogo_update(actor=request.user, decision=decision, **changes)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        if fragment_wanted(request):
            return HttpResponse(str(exc.message), status=400)
        return _detail(request, project, selectors.decision_get(project=project, pk=decision_id), status=400)
    messages.success(request, _("Meeting saved."))
    return redirect("readiness:gonogo", project.pk, decision.pk)


@project_view()
def gonogo_report(request, project, decision_id):
    decision = selectors.decision_get(project=project, pk=decision_id)
    context = {"decision": decision, "rows": selectors.signoff_rows(decision),
               "blockers": selectors.evidence_blockers(decision), "evidence_rows": selectors.evidence_rows(decision),
               "mandatory_blockers": selectors.evidence_mandatory_blockers(decision),
               "recorded_in": selectors.evidence_recorded_in(decision), "printed_at": timezone.now(),
               "section": "readiness"}
    return render(request, "readiness/gonogo_report.html", context)


@project_view()
def gonogo_report_pdf(request, project, decision_id):
    from projects.pdf import pdf_response

    decision = selectors.decision_get(project=project, pk=decision_id)
    content = exports.gonogo_pdf(decision, rows=selectors.signoff_rows(decision),
                                 evidence_rows=selectors.evidence_rows(decision),
                                 blockers=selectors.evidence_blockers(decision),
                                 recorded_in=selectors.evidence_recorded_in(decision), printed_at=timezone.now())
    return pdf_response(content, f"{project.code}-gonogo-{decision.pk}.pdf")


@project_view()
def gonogo_blockers_xlsx(request, project, decision_id):
    decision = selectors.decision_get(project=project, pk=decision_id)
    content = exports.blockers_xlsx(decision, request=request)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (f'attachment; filename="{project.code}-gonogo-{decision.pk}-blockers.xlsx"')
    return response


# ----- risk register ---------------------------------------------------------------------------


def _risk_filters(request):
    return {key: request.GET.get(key, "") for key in selectors.RISK_FILTERS}


def _register_context(request, project, form=None):
    filters = _risk_filters(request)
    rows = list(selectors.risk_register(project=project, filters=filters))
    base = reverse("readiness:risks", args=[project.pk])
    selected = None
    if filters["likelihood"].isdigit() and filters["impact"].isdigit():
        selected = (int(filters["likelihood"]), int(filters["impact"]))
    heat = charts.heat_map(
        selectors.risk_heat_map(project=project), selected=selected, title=_("Risk heat map (active risks)"),
        link=lambda li, im: f"{base}?{urlencode({'likelihood': li, 'impact': im, 'active': 1})}",
        likelihood_label=_("Likelihood"), impact_label=_("Impact"))
    can_manage = request.user.has_perm("readiness.risk_manage", project)
    if form is None and can_manage:
        form = RiskForm(project=project)
    query = urlencode({k: v for k, v in filters.items() if v})
    return {"risks": rows, "heat_map": heat, "filters": filters, "form": form, "can_manage": can_manage,
            "categories": RiskCategory.choices, "statuses": RiskStatus.choices, "levels": RiskLevel.choices,
            "query": query, "section": "risks"}


@project_view("readiness.risk_view")
def risk_list(request, project):
    """The register: heat map, filters, the table (htmx partial `table`), and the form to add one."""
    form, status = None, 200
    if request.method == "POST":
        require(request.user, "readiness.risk_manage", project)
        form = RiskForm(request.POST, project=project)
        if form.is_valid():
            try:
                risk = services.risk_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Risk entered in the register."))
                return redirect("readiness:risk", project.pk, risk.pk)
        status = 400
    response = render_page(request, "readiness/risks.html", _register_context(request, project, form),
                           partial="table")
    response.status_code = status
    return response


def _risk_detail(request, project, risk, *, form=None, transition_form=None, review_form=None, status=200):
    may_work = request.user.has_perm("readiness.risk_work", risk)
    can_manage = request.user.has_perm("readiness.risk_manage", project)
    if may_work:
        form = form or RiskForm(project=project, risk=risk, owner_only=not can_manage)
        transition_form = transition_form or RiskTransitionForm(initial={"to": risk.status})
        review_form = review_form or RiskReviewForm(initial={"likelihood": risk.likelihood, "impact": risk.impact})
    context = {"risk": risk, "form": form, "transition_form": transition_form, "review_form": review_form,
               "may_work": may_work, "history": history_for(risk, limit=20), "section": "risks"}
    response = render(request, "readiness/risk_detail.html", context)
    response.status_code = status
    return response


@project_view("readiness.risk_view")
def risk_detail(request, project, risk_id):
    risk = selectors.risk_get_for_user(user=request.user, pk=risk_id)
    if risk.project_id != project.pk:
        raise Http404
    if request.method != "POST":
        return _risk_detail(request, project, risk)
    require(request.user, "readiness.risk_work", risk)
    form = RiskForm(request.POST, project=project, risk=risk,
                    owner_only=not request.user.has_perm("readiness.risk_manage", project))
    if form.is_valid():
        try:
            services.risk_update(actor=request.user, risk=risk, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Risk saved."))
            return redirect("readiness:risk", project.pk, risk.pk)
    return _risk_detail(request, project, risk, form=form, status=400)


def _risk_action(request, project, risk_id, form_class, service, form_key, done):
    risk = selectors.risk_get_for_user(user=request.user, pk=risk_id)
    if risk.project_id != project.pk:
        raise Http404
    require(request.user, "readiness.risk_work", risk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, risk=risk, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("readiness:risk", project.pk, risk.pk)
    return _risk_detail(request, project, risk, status=400, **{form_key: form})


@project_view("readiness.risk_view")
@require_POST
def risk_transition(request, project, risk_id):
    return _risk_action(request, project, risk_id, RiskTransitionForm, services.risk_transition, "transition_form",
                        _("Risk status changed."))


@project_view("readiness.risk_view")
@require_POST
def risk_review(request, project, risk_id):
    return _risk_action(request, project, risk_id, RiskReviewForm, services.risk_review, "review_form",
                        _("Review recorded."))


@project_view("readiness.risk_view")
def risk_export(request, project, fmt):
    """The register (with the page's filters) as CSV or Excel, for the bank's risk committee."""
    risks = selectors.risk_register(project=project, filters=_risk_filters(request))
    name = f"{project.code}-risks"
    if fmt == "csv":
        response = HttpResponse(exports.risks_csv(risks), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(exports.risks_xlsx(risks),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# ----- meetings, decisions, actions --------------------------------------------------------------


@project_view("readiness.meeting_view")
def meeting_list(request, project):
    """Meetings (htmx partial `meetings`, filtered by kind), today's stand-up in one click, a form to
    minute another meeting, and the open actions with the caller's own first."""
    can_hold = request.user.has_perm("readiness.meeting_hold", project)
    form, status = None, 200
    if request.method == "POST":
        require(request.user, "readiness.meeting_hold", project)
        form = MeetingForm(request.POST, project=project)
        if form.is_valid():
            try:
                meeting = services.meeting_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Meeting minuted."))
                return redirect("readiness:meeting", project.pk, meeting.pk)
        status = 400
    if form is None and can_hold:
        form = MeetingForm(project=project, initial={
            "kind": MeetingKind.REVIEW, "held_at": timezone.localtime().replace(second=0, microsecond=0)})
    kind = request.GET.get("kind", "")
    context = {"meetings": selectors.meetings_for_project(project=project, kind=kind)[:100], "kind": kind,
               "kinds": MeetingKind.choices, "form": form, "can_hold": can_hold,
               "my_actions": selectors.actions_for_project(project=project, owner=request.user)[:50],
               "open_actions": selectors.actions_for_project(project=project)[:50], "today": timezone.localdate(),
               "section": "meetings"}
    response = render_page(request, "readiness/meetings.html", context, partial="meetings")
    response.status_code = status
    return response


@project_view("readiness.meeting_hold")
@require_POST
def standup_start(request, project):
    meeting, created = services.standup_start(actor=request.user, project=project)
    if created:
        messages.success(request, _("Today's stand-up is open; the attendees of the last one are listed."))
    return redirect("readiness:meeting", project.pk, meeting.pk)


def _meeting_page(request, project, meeting, *, form=None, decision_form=None, action_form=None, status=200):
    can_hold = request.user.has_perm("readiness.meeting_hold", project)
    if can_hold:
        form = form or MeetingForm(project=project, meeting=meeting)
        decision_form = decision_form or MeetingDecisionForm()
        action_form = action_form or MeetingActionForm(project=project)
    actions = list(meeting.actions.all())
    for a in actions:
        a.may_work = can_hold or a.owner_id == request.user.pk
    context = {"meeting": meeting, "actions": actions, "form": form, "decision_form": decision_form,
               "action_form": action_form, "can_hold": can_hold, "history": history_for(meeting, limit=10),
               "section": "meetings"}
    response = render_page(request, "readiness/meeting_detail.html", context, partial="actions")
    response.status_code = status
    return response


@project_view("readiness.meeting_view")
def meeting_detail(request, project, meeting_id):
    meeting = selectors.meeting_get(project=project, pk=meeting_id)
    if request.method != "POST":
        return _meeting_page(request, project, meeting)
    require(request.user, "readiness.meeting_hold", project)
    form = MeetingForm(request.POST, project=project, meeting=meeting)
    if form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Minutes saved."))
            return redirect("readiness:meeting", project.pk, meeting.pk)
    return _meeting_page(request, project, selectors.meeting_get(project=project, pk=meeting_id), form=form,
                         status=400)


@project_view("readiness.meeting_hold")
@require_POST
def meeting_decide(request, project, meeting_id):
    meeting = selectors.meeting_get(project=project, pk=meeting_id)
    form = MeetingDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_decide(actor=request.user, meeting=meeting, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            return redirect(reverse("readiness:meeting", args=[project.pk, meeting.pk]) + "#decisions")
    return _meeting_page(request, project, meeting, decision_form=form, status=400)


@project_view("readiness.meeting_hold")
@require_POST
def meeting_action_new(request, project, meeting_id):
    meeting = selectors.meeting_get(project=project, pk=meeting_id)
    form = MeetingActionForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.action_create(actor=request.user, meeting=meeting, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            if fragment_wanted(request):
                return _meeting_page(request, project, selectors.meeting_get(project=project, pk=meeting_id))
            return redirect(reverse("readiness:meeting", args=[project.pk, meeting.pk]) + "#actions")
    # htmx swaps only 2xx: there the re-rendered form carries the message
    return _meeting_page(request, project, meeting, action_form=form, status=200 if fragment_wanted(request) else 400)


@project_view("readiness.meeting_view")
@require_POST
def meeting_action_status(request, project, action_id):
    """Mark an action done (or open again): the owner or the manager. htmx swaps the meeting's actions."""
    action = selectors.action_get_for_user(user=request.user, pk=action_id)
    if action.project_id != project.pk:
        raise Http404
    require(request.user, "readiness.action_work", action)
    try:
        services.action_set_status(actor=request.user, action=action, status=request.POST.get("status", ""))
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=400)
    nxt = local_path(request.POST.get("next"), reverse("readiness:meeting", args=[project.pk, action.meeting_id]))
    if fragment_wanted(request):
        return _meeting_page(request, project, selectors.meeting_get(project=project, pk=action.meeting_id))
    return redirect(nxt)


# ----- weekly status report ----------------------------------------------------------------------


def _report_context(request, project, *, summary_form=None, sponsors_form=None):
    today = timezone.localdate()
    draft = StatusReport.objects.filter(project=project, week_start=selectors.week_start(today)).first()
    can_send = request.user.has_perm("readiness.report_send", project)
    sent_this_week = draft is not None and draft.status == ReportStatus.SENT
    if can_send and not sent_this_week:
        summary_form = summary_form or StatusSummaryForm(initial={"summary": draft.summary if draft else ""})
    if can_send:
        sponsors_form = sponsors_form or SponsorsForm(project=project,
                                                      initial={"sponsors": selectors.report_sponsors(project)})
    r = selectors.status_report(project=project, today=today)
    return {"r": r, "sections": selectors.report_sections(r), "report": draft, "sent_this_week": sent_this_week,
            "summary": draft.summary if draft else "", "summary_form": summary_form, "sponsors_form": sponsors_form,
            "can_send": can_send, "sent": selectors.reports_sent(project=project)[:20],
            "recipients": selectors.report_recipients(project).count(), "section": "status_report"}


@project_view("readiness.report_view")
def status_report_page(request, project):
    """This week's report, computed from the evidence now (htmx partial `report`); the PM's summary,
    the sponsors, 'send now', and the reports sent before."""
    return render_page(request, "readiness/status_report.html", _report_context(request, project), partial="report")


@project_view("readiness.report_send")
@require_POST
def status_report_summary(request, project):
    form = StatusSummaryForm(request.POST)
    if form.is_valid():
        try:
            services.status_report_summary_set(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Summary saved; it goes with this week's report."))
            return redirect("readiness:status_report", project.pk)
    response = render(request, "readiness/status_report.html", _report_context(request, project, summary_form=form))
    response.status_code = 400
    return response


@project_view("readiness.report_send")
@require_POST
def status_report_sponsors(request, project):
    form = SponsorsForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.report_sponsors_set(actor=request.user, project=project, users=form.cleaned_data["sponsors"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Sponsors saved."))
            return redirect("readiness:status_report", project.pk)
    response = render(request, "readiness/status_report.html", _report_context(request, project, sponsors_form=form))
    response.status_code = 400
    return response


@project_view("readiness.report_send")
@require_POST
def status_report_send(request, project):
    report = services.status_report_send(actor=request.user, project=project)
    messages.success(request, ngettext("The report went to %(n)d person.", "The report went to %(n)d people.",
                                       report.recipients) % {"n": report.recipients})
    return redirect("readiness:status_report_sent", project.pk, report.pk)


@project_view("readiness.report_view")
def status_report_pdf(request, project):
    from projects.pdf import pdf_response

    today = timezone.localdate()
    draft = StatusReport.objects.filter(project=project, week_start=selectors.week_start(today)).first()
    content = exports.status_report_pdf(selectors.status_report(project=project, today=today),
                                        summary=draft.summary if draft else "")
    return pdf_response(content, f"{project.code}-status-{selectors.week_start(today)}.pdf")


@project_view("readiness.report_view")
def status_report_sent(request, project, report_id):
    report = selectors.report_get(project=project, pk=report_id)
    r = selectors.report_display(report.data)  # the frozen values, said in the reader's language
    return render(request, "readiness/status_report_sent.html",
                  {"r": r, "sections": selectors.report_sections(r), "report": report, "summary": report.summary,
                   "recorded_in": selectors.report_recorded_in(report.data), "section": "status_report"})


@project_view("readiness.report_view")
def status_report_sent_pdf(request, project, report_id):
    from projects.pdf import pdf_response

    report = selectors.report_get(project=project, pk=report_id)
    content = exports.status_report_pdf(selectors.report_display(report.data), summary=report.summary,
                                        sent_at=report.sent_at, recorded_in=selectors.report_recorded_in(report.data))
    return pdf_response(content, f"{project.code}-status-{report.week_start}.pdf")
