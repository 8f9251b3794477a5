"""Pages of the testing area: defects (list, board, filing, detail), test cycles and cases,
metrics and SLA settings. Thin: selectors read, services write."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from projects.audit import history_for
from projects.downloads import protected_file_response
from projects.errors import DomainError
from projects.pagecache import page_cache
from projects.views_base import form_error, fragment_wanted, project_view, render_page

from . import charts, links, selectors, services
from .forms import (
    AcceptanceForm,
    AssignForm,
    AttachmentForm,
    BulkTriageForm,
    CaseEditForm,
    CaseFilterForm,
    CaseForm,
    CommentForm,
    CycleForm,
    CyclePlanForm,
    DefectEditForm,
    DefectFilterForm,
    DefectForm,
    DefectSettingsForm,
    FindingFilterForm,
    FindingForm,
    FindingImportForm,
    FindingTransitionForm,
    PerfRunForm,
    PerfTargetForm,
    ResultForm,
    SlaForm,
    TransitionForm,
    UploadForm,
)
from .models import Defect, DefectSettings, FindingStatus, PerfTarget, ResultStatus, Status, TestCycle
from .rules import triage_by

QUICK = {Status.OPEN, Status.IN_PROGRESS, Status.FIXED, Status.VERIFIED, Status.CLOSED}


def _raise_if_denied(exc):
    if exc.code == "permission":
        raise PermissionDenied(str(exc.message))


def _ctx(request, **extra):
    return {"section": "testing", **extra}


def _filters(request, project):
    form = DefectFilterForm(request.GET or None, project=project)
    return form, (form.cleaned_data if form.is_valid() else {})


def _decorate(defects, user):
    for d in defects:
        d.quick = [s for s in services.allowed_next_for(d, user) if s in QUICK]
    return defects


# ------------------------------------------------------------------ defects

@project_view("defects.view")
@page_cache(areas=selectors.AREAS)
def defect_list(request, project):
    form, f = _filters(request, project)
    qs = selectors.defect_list_for_user(user=request.user, project=project, filters=f)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    can_triage = request.user.has_perm("defects.triage", project)
    context = _ctx(
        request, filters=form, page=page, defects=page.object_list,
        counts=selectors.defect_counts(user=request.user, project=project),
        can_triage=can_triage, can_file=request.user.has_perm("defects.file", project),
        bulk_form=BulkTriageForm(project=project, user=request.user) if can_triage else None,
        sort=f.get("sort") or "",
    )
    return render_page(request, "defects/list.html", context, partial="table")


@project_view("defects.view")
@page_cache(areas=selectors.AREAS)
def board(request, project):
    form, f = _filters(request, project)
    column = request.GET.get("column")
    if column in Status.values and fragment_wanted(request):  # "show more" of one column: its next cards
        try:
            offset = max(0, int(request.GET.get("offset") or 0))
        except ValueError:
            offset = 0
        cards, remaining = selectors.board_column(user=request.user, project=project, status=column, filters=f,
                                                  offset=offset)
        col = {"status": Status(column), "defects": _decorate(cards, request.user), "more": remaining,
               "offset": offset + len(cards)}
        return render(request, "defects/board.html#cards", {"col": col, "project": project, "request": request})
    columns = selectors.board(user=request.user, project=project, filters=f)
    for col in columns:
        _decorate(col["defects"], request.user)
    return render_page(request, "defects/board.html", _ctx(request, filters=form, columns=columns), partial="board")


@project_view("defects.file")
def defect_file(request, project):
    initial = {}
    result = None
    if request.GET.get("result"):
        try:
            cycle_id, result_id = (int(x) for x in request.GET["result"].split("-", 1))
        except ValueError:
            raise Http404 from None
        cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
        result = selectors.result_get(cycle=cycle, pk=result_id)
        initial = services.prefill_from_result(result)
        initial["test_result"] = result.pk
    elif request.GET.get("found_in") == "hypercare":  # "Report an incident" on the hypercare dashboard
        initial = {"found_in": "hypercare"}
    form = DefectForm(request.POST or None, request.FILES or None, initial=initial, project=project,
                      user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        result_id = data.pop("test_result", None)
        if result_id:
            from .models import TestResult

            result = TestResult.objects.select_related("cycle").filter(pk=result_id, cycle__project=project).first()
            data["test_result"] = result
        if data.get("found_in") != "hypercare":
            for name in DefectForm.INCIDENT_FIELDS:
                data.pop(name, None)
        try:
            defect = services.defect_file(actor=request.user, project=project, **data)
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("%(key)s filed.") % {"key": defect.key})
            if not request.user.has_perm("defects.view", project):  # branch staff: the testing team takes it on
                messages.info(request, _("The testing and support team takes it from here; you will hear back "
                                         "through your notifications."))
                return redirect("projects:home", project.pk)
            if defect.category == "security" and not request.user.has_perm("defects.view_security", project):
                messages.info(request, _("Security defects are visible only to managers, testers, developers and "
                                         "ops; they will take it from here."))
                return redirect("defects:list", project.pk)
            return redirect("defects:detail", project.pk, defect.pk)
    status = 400 if request.method == "POST" else 200
    response = render_page(request, "defects/file.html", _ctx(
        request, form=form, result=result, max_files=services.MAX_FILING_ATTACHMENTS,
        max_mb=round(settings.UPLOAD_MAX_BYTES / 1048576, 1)))
    response.status_code = status
    return response


def _detail_context(request, project, defect, **forms):
    user = request.user
    detail = selectors.defect_detail(defect=defect, user=user)
    allowed = services.allowed_next_for(defect, user)
    can_edit = (user.has_perm("defects.triage", project) or user.has_perm("defects.verify", project)
                or defect.reporter_id == user.pk)
    now = timezone.now()
    # The likely next state is pre-selected; a backward move (reject, reopen) never is.
    forward = [s for s in allowed if s not in services.BACKWARD]
    transition_form = forms.get("transition_form") or TransitionForm(initial={"to": forward[0] if forward else ""})
    transition_form.fields["to"].choices = ([] if forward else [("", _("— choose —"))]) + [
        (s, Status(s).label) for s in forward + [s for s in allowed if s in services.BACKWARD]]
    next_text, finished = services.next_step(defect)
    return _ctx(
        request, defect=defect, **detail, allowed=allowed, overdue_at=defect.overdue_at(now),
        transition_form=transition_form if allowed else None, next_text=next_text, finished=finished,
        backward_only=bool(allowed) and not forward,
        comment_form=forms.get("comment_form") or CommentForm(),
        attachment_form=forms.get("attachment_form") or AttachmentForm(),
        assign_form=(forms.get("assign_form") or AssignForm(project=project, initial={"assignee": defect.assignee_id}))
        if user.has_perm("defects.triage", project) and defect.status not in ("verified", "closed", "rejected")
        else None,
        can_edit=can_edit, history=history_for(defect), max_mb=round(settings.UPLOAD_MAX_BYTES / 1048576, 1),
    )


def _detail(request, project, defect_id, status=200, **forms):
    defect = selectors.defect_get_for_user(user=request.user, pk=defect_id, project=project)
    response = render_page(request, "defects/detail.html", _detail_context(request, project, defect, **forms),
                           partial="workflow" if forms.get("partial") else None)
    response.status_code = status
    return response


@project_view("defects.view")
def defect_detail(request, project, defect_id):
    return _detail(request, project, defect_id)


@project_view("defects.view")
def defect_edit(request, project, defect_id):
    defect = selectors.defect_get_for_user(user=request.user, pk=defect_id, project=project)
    form = DefectEditForm(request.POST or None, instance=defect, project=project)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        if form.cleaned_data.get("found_in", defect.found_in) != "hypercare":
            for name in DefectForm.INCIDENT_FIELDS:  # impact applies to hypercare incidents only
                changes.pop(name, None)
        if "requirement" in form.fields and form.cleaned_data.get("requirement") != defect.requirement:
            changes["requirement"] = form.cleaned_data.get("requirement")
        else:
            changes.pop("requirement", None)
        try:
            services.defect_update(actor=request.user, defect=Defect.objects.get(pk=defect.pk), **changes)
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("%(key)s saved.") % {"key": defect.key})
            return redirect("defects:detail", project.pk, defect.pk)
    elif request.method == "GET" and not (request.user.has_perm("defects.triage", project)
                                          or request.user.has_perm("defects.verify", project)
                                          or defect.reporter_id == request.user.pk):
        raise PermissionDenied
    response = render_page(request, "defects/edit.html", _ctx(request, form=form, defect=defect))
    response.status_code = 400 if request.method == "POST" else 200
    return response


@project_view("defects.view")
@require_POST
def defect_transition(request, project, defect_id):
    defect = selectors.defect_get_for_user(user=request.user, pk=defect_id, project=project)
    form = TransitionForm(request.POST)
    from_board = request.POST.get("from") == "board"
    if form.is_valid():
        data = form.cleaned_data
        duplicate = None
        if data.get("duplicate_of"):
            duplicate = Defect.objects.filter(project=project, number=data["duplicate_of"]).first()
            if duplicate is None:
                form.add_error("duplicate_of", _("There is no defect D-%(n)s in this project.")
                               % {"n": data["duplicate_of"]})
        if not form.errors:
            try:
                defect = services.defect_transition(actor=request.user, defect=defect, to=data["to"],
                                                    comment=data["comment"], reject_reason=data["reject_reason"],
                                                    duplicate_of=duplicate)
            except DomainError as exc:
                _raise_if_denied(exc)
                if from_board:
                    messages.error(request, exc.message)
                else:
                    form_error(form, exc)
            else:
                if not from_board:
                    messages.success(request, _("%(key)s is now %(status)s.")
                                     % {"key": defect.key, "status": defect.get_status_display()})
    if from_board:
        url = reverse("defects:board", args=[project.pk])
        if fragment_wanted(request):
            columns = selectors.board(user=request.user, project=project)
            for column in columns:
                _decorate(column["defects"], request.user)
            response = render_page(request, "defects/board.html", _ctx(request, columns=columns), partial="board")
            return trigger_client_event(response, "defects-changed")
        return redirect(url)
    if form.errors:
        return _detail(request, project, defect_id, status=400, transition_form=form)
    return redirect("defects:detail", project.pk, defect.pk)


@project_view("defects.triage")
@require_POST
def defect_assign(request, project, defect_id):
    defect = selectors.defect_get_for_user(user=request.user, pk=defect_id, project=project)
    form = AssignForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.defect_assign(actor=request.user, defect=defect, assignee=form.cleaned_data["assignee"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, defect_id, status=400, assign_form=form)
    messages.success(request, _("Assigned."))
    return redirect("defects:detail", project.pk, defect.pk)


@project_view("defects.comment")
@require_POST
def defect_comment(request, project, defect_id):
    defect = selectors.defect_get_for_user(user=request.user, pk=defect_id, project=project)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.defect_comment_add(actor=request.user, defect=defect, text=form.cleaned_data["text"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, defect_id, status=400, comment_form=form)
    return redirect(reverse("defects:detail", args=[project.pk, defect.pk]) + "#comments")


@project_view("defects.attach")
@require_POST
def defect_attach(request, project, defect_id):
    defect = selectors.defect_get_for_user(user=request.user, pk=defect_id, project=project)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(actor=request.user, defect=defect, upload=form.cleaned_data["file"])
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
    if form.errors:
        return _detail(request, project, defect_id, status=400, attachment_form=form)
    messages.success(request, _("File attached."))
    return redirect(reverse("defects:detail", args=[project.pk, defect.pk]) + "#attachments")


@project_view("defects.view")
def attachment_download(request, project, defect_id, attachment_id):
    """Attachments are served only here, to members who may see the defect; never from MEDIA_URL."""
    attachment = selectors.attachment_get_for_user(user=request.user, project=project, defect_pk=defect_id,
                                                   pk=attachment_id)
    return protected_file_response(attachment.file, filename=attachment.original_name,
                                   content_type=attachment.content_type)


@project_view("defects.triage")
@require_POST
def bulk_triage(request, project):
    form = BulkTriageForm(request.POST, project=project, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            n = services.defect_bulk_triage(actor=request.user, project=project, defects=data["defects"],
                                            assignee=data["assignee"], priority=data["priority"] or None,
                                            open_new=data["open_new"])
        except DomainError as exc:
            _raise_if_denied(exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)d defects triaged.") % {"n": n})
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect(reverse("defects:list", args=[project.pk]) + ("?" + request.POST["back"]
                                                                   if request.POST.get("back") else ""))


# ------------------------------------------------------------------ metrics and SLA

@project_view("defects.view")
@page_cache(areas=selectors.AREAS)
def metrics(request, project):
    page = selectors.metrics_page(user=request.user, project=project)
    data = page["m"]
    context = _ctx(
        request, m=data, counts=page["counts"],
        arrivals_chart=charts.arrivals_closures(data["days"]),
        ageing_chart=charts.columns(data["ageing"], label_key="label", css="ageing"),
        severity_chart=charts.hbars([{"label": r["severity"].label, "count": r["count"],
                                      "css": f"sev-{r['severity'].value}"} for r in data["open_by_severity"]]),
        cycle_chart=charts.pass_rates(data["cycles"]),
        pass_legend=charts.pass_rate_legend(),
        sla=services.sla_table(project),
    )
    return render_page(request, "defects/metrics.html", context)


@project_view("defects.configure_sla")
def sla(request, project):
    """The project's defect settings: SLA per severity and who may triage (two forms, told apart by `form`)."""
    posted = request.POST.get("form") if request.method == "POST" else None
    form = SlaForm(request.POST if posted != "triage" and request.method == "POST" else None)
    triage_form = DefectSettingsForm(request.POST if posted == "triage" else None,
                                     initial={"triage_by": triage_by(project)})
    if posted == "triage":
        if triage_form.is_valid():
            try:
                services.defect_settings_set(actor=request.user, project=project, **triage_form.cleaned_data)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(triage_form, exc)
            else:
                messages.success(request, _("Saved: who may triage new defects."))
                return redirect("defects:sla", project.pk)
    elif request.method == "POST" and form.is_valid():
        try:
            services.sla_set(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("SLA saved; open defects follow the new deadlines."))
            return redirect("defects:sla", project.pk)
    settings_row = DefectSettings.objects.filter(project=project).first()
    response = render_page(request, "defects/sla.html", _ctx(
        request, form=form, triage_form=triage_form, sla=services.sla_table(project),
        settings_history=history_for(settings_row) if settings_row else []))
    response.status_code = 400 if request.method == "POST" else 200
    return response


# ------------------------------------------------------------------ test cycles and cases

@project_view("defects.view")
@page_cache(areas=selectors.AREAS)
def cycle_list(request, project):
    can_manage = request.user.has_perm("defects.manage_tests", project)
    form = CyclePlanForm(request.POST or None, project=project) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            scope = {k: list(data.pop(k, None) or []) for k in ("cases", "requirements", "departments", "tags")}
            try:
                cycle = services.cycle_create(actor=request.user, project=project, **data, **scope)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
            else:
                messages.success(request, _("Test cycle “%(name)s” planned.") % {"name": cycle.name})
                return redirect("defects:cycle", project.pk, cycle.pk)
    cycles = list(selectors.cycles(user=request.user, project=project))
    latest = selectors.latest_cycle(project)
    covered, approved, uncovered = selectors.requirement_coverage(project, latest, sample=20)
    response = render_page(request, "defects/cycles.html", _ctx(
        request, cycles=cycles, form=form, latest=latest, covered=covered, approved=approved,
        uncovered=uncovered, uncovered_count=approved - covered))
    response.status_code = 400 if request.method == "POST" else 200
    return response


def _cycle_page(request, project, cycle_id, *, status=200, form=None, junit_error=None):
    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    can_manage = request.user.has_perm("defects.manage_tests", project)
    result_filter = request.GET.get("status") if request.GET.get("status") in ResultStatus.values else None
    if can_manage and form is None:
        form = CycleForm(instance=cycle)
    # 50 a page: a regression cycle has hundreds of cases; the status filter narrows before paging.
    page = Paginator(selectors.cycle_results(user=request.user, cycle=cycle, status=result_filter), 50).get_page(
        request.GET.get("page"))
    covered, in_scope, uncovered = selectors.cycle_coverage(cycle)
    response = render_page(request, "defects/cycle.html", _ctx(
        request, cycle=cycle, page=page, results=page.object_list, can_manage=can_manage,
        status_filter=result_filter, form=form if can_manage else None, statuses=ResultStatus.choices,
        can_file=request.user.has_perm("defects.file_testing", project), covered=covered, in_scope=in_scope,
        uncovered=uncovered[:10], uncovered_count=len(uncovered), junit_form=UploadForm() if can_manage else None,
        junit_error=junit_error), partial="results")
    response.status_code = status
    return response


@project_view("defects.view")
@page_cache(areas=selectors.AREAS)
def cycle_detail(request, project, cycle_id):
    if request.method != "POST":
        return _cycle_page(request, project, cycle_id)
    if not request.user.has_perm("defects.manage_tests", project):
        raise PermissionDenied
    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    form = CycleForm(request.POST, instance=TestCycle.objects.get(pk=cycle.pk))
    if form.is_valid():
        try:
            services.cycle_update(actor=request.user, cycle=TestCycle.objects.select_related("project").get(
                pk=cycle.pk), **{f: form.cleaned_data[f] for f in form.changed_data})
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("Cycle saved."))
            return redirect("defects:cycle", project.pk, cycle.pk)
    return _cycle_page(request, project, cycle_id, status=400, form=form)


@project_view("defects.manage_tests")
@require_POST
def result_record(request, project, cycle_id, result_id):
    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    result = selectors.result_get(cycle=cycle, pk=result_id)
    form = ResultForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.result_record(actor=request.user, result=result, **form.cleaned_data)
        except DomainError as exc:
            _raise_if_denied(exc)
            error = exc.message
    else:
        error = next(iter(form.errors.values()))[0]
    if not fragment_wanted(request):
        if error:
            messages.error(request, error)
        return redirect("defects:cycle", project.pk, cycle.pk)
    r = selectors.cycle_results(user=request.user, cycle=cycle).get(pk=result.pk)
    response = render_page(request, "defects/cycle.html", _ctx(
        request, cycle=cycle, r=r, can_manage=True, statuses=ResultStatus.choices, row_error=error,
        can_file=request.user.has_perm("defects.file_testing", project)), partial="result-row")
    if error:
        response.status_code = 400
    return trigger_client_event(response, "results-changed")


@project_view("defects.view")
@page_cache(areas=selectors.AREAS)
def case_list(request, project):
    can_manage = request.user.has_perm("defects.manage_tests", project)
    form = CaseForm(request.POST or None, project=project) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                case = services.case_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
            else:
                messages.success(request, _("Test case %(code)s added.") % {"code": case.code})
                return redirect("defects:cases", project.pk)
    filters = CaseFilterForm(request.GET or None)
    f = filters.cleaned_data if filters.is_valid() else {}
    cases = selectors.case_list(project=project, filters=f)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    response = render_page(request, "defects/cases.html", _ctx(
        request, page=page, cases=page.object_list, form=form, filters=filters, q=f.get("q", ""),
        has_requirements=links.requirement_model() is not None), partial="table")
    response.status_code = 400 if request.method == "POST" else 200
    return response


def _case_context(request, project, case, form=None):
    can_manage = request.user.has_perm("defects.manage_tests", project)
    if can_manage and form is None:
        form = CaseEditForm(project=project, initial={
            "title": case.title, "kind": case.kind, "steps": case.steps, "expected_result": case.expected_result,
            "tags": " ".join(case.tags or []), "automation_key": case.automation_key,
            "requirements": list(case.requirements.values_list("pk", flat=True))
            if links.requirement_model() else []})
    results = list(selectors.case_results(case=case))
    return _ctx(request, case=case, results=results, form=form if can_manage else None, can_manage=can_manage,
                requirements=list(case.requirements.all()) if links.requirement_model() else [],
                history=history_for(case))


@project_view("defects.view")
def case_detail(request, project, case_id):
    """A test case: what it checks, its requirements, its results in every cycle, its history; testers edit."""
    case = selectors.case_get_for_user(user=request.user, pk=case_id, project=project)
    form = None
    if request.method == "POST":
        if not request.user.has_perm("defects.manage_tests", project):
            raise PermissionDenied
        form = CaseEditForm(request.POST, project=project)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if "requirements" in data:
                data["requirements"] = list(data["requirements"])
            try:
                services.case_update(actor=request.user, case=case, **data)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
            else:
                messages.success(request, _("Test case %(code)s saved.") % {"code": case.code})
                return redirect("defects:case", project.pk, case.pk)
    response = render_page(request, "defects/case.html", _case_context(request, project, case, form))
    response.status_code = 400 if request.method == "POST" else 200
    return response


@project_view("defects.manage_tests")
@require_POST
def case_retire(request, project, case_id):
    """Retire a case (it stays in the cycles that ran it) or bring it back: POST active=0|1."""
    case = selectors.case_get_for_user(user=request.user, pk=case_id, project=project)
    active = request.POST.get("active") == "1"
    try:
        services.case_update(actor=request.user, case=case, active=active)
    except DomainError as exc:
        _raise_if_denied(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, (_("%(code)s is active again.") if active else
                                   _("%(code)s is retired; the cycles that ran it keep its results."))
                         % {"code": case.code})
    return redirect("defects:case", project.pk, case.pk)


@project_view("defects.manage_tests")
@require_POST
def cycle_import_junit(request, project, cycle_id):
    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            counts = services.junit_import(actor=request.user, cycle=cycle, upload=form.cleaned_data["file"])
        except DomainError as exc:
            _raise_if_denied(exc)
            messages.error(request, exc.message)
            return _cycle_page(request, project, cycle_id, status=400, junit_error=exc.message)
        messages.success(request, _("Imported: %(passed)d passed, %(failed)d failed, %(error)d errors, %(skipped)d "
                                    "skipped; %(created)d new test cases.")
                         % {**counts, "created": counts["cases_created"]})
        if counts["unknown_requirements"]:
            messages.warning(request, _("No requirement with these codes, so no link was made: %(codes)s.")
                             % {"codes": ", ".join(counts["unknown_requirements"])})
        return redirect("defects:cycle", project.pk, cycle.pk)
    return _cycle_page(request, project, cycle_id, status=400, junit_error=next(iter(form.errors.values()))[0])


@project_view("defects.view")
def cycle_exit_report(request, project, cycle_id):
    """The test-cycle exit report (printable; the PDF has the same content)."""
    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    report = selectors.exit_report(cycle=cycle, user=request.user)
    return render_page(request, "defects/exit_report.html", _ctx(request, r=report, printed_at=timezone.now()))


@project_view("defects.view")
def cycle_exit_report_pdf(request, project, cycle_id):
    from projects.pdf import pdf_response

    from .exports import exit_report_pdf

    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    report = selectors.exit_report(cycle=cycle, user=request.user)
    return pdf_response(exit_report_pdf(report, printed_at=timezone.now()),
                        f"{project.code}-exit-report-{cycle.pk}.pdf")


# ------------------------------------------------------------------ performance

@project_view("defects.view")
def performance(request, project):
    """Targets per transaction with their latest result and trend over runs; the runs; testers add both."""
    can_manage = request.user.has_perm("defects.manage_tests", project)
    target_form = run_form = None
    if can_manage:
        target_form = PerfTargetForm(request.POST if request.POST.get("form") == "target" else None, project=project)
        run_form = PerfRunForm(request.POST if request.POST.get("form") == "run" else None, request.FILES or None,
                               project=project)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        which = request.POST.get("form")
        form = target_form if which == "target" else run_form if which == "run" else None
        if form is not None and form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if which == "target":
                    services.perf_target_create(actor=request.user, project=project,
                                                transaction_name=data.pop("transaction"), **data)
                    messages.success(request, _("Target saved."))
                    return redirect("defects:performance", project.pk)
                upload = data.pop("file", None)
                with transaction.atomic():
                    run = services.perf_run_create(actor=request.user, project=project, **data)
                    if upload:
                        services.perf_run_import(actor=request.user, run=run, upload=upload)
                messages.success(request, _("Run “%(name)s” recorded.") % {"name": run.name})
                return redirect("defects:perf_run", project.pk, run.pk)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
    overview = selectors.perf_overview(project=project)
    for t in overview["targets"]:
        t.chart = charts.perf_trend(t, t.trend)
    response = render_page(request, "defects/performance.html", _ctx(
        request, **overview, target_form=target_form, run_form=run_form, can_manage=can_manage))
    response.status_code = 400 if request.method == "POST" else 200
    return response


@project_view("defects.manage_tests")
@require_POST
def perf_target(request, project, target_id):
    """Change (POST the target form) or remove (POST delete=1) a performance target."""
    target = get_object_or_404(PerfTarget.objects.select_related("project"), pk=target_id, project=project)
    try:
        if request.POST.get("delete") == "1":
            services.perf_target_delete(actor=request.user, target=target)
            messages.success(request, _("Target for “%(name)s” removed.") % {"name": target.transaction})
        else:
            form = PerfTargetForm(request.POST, project=project)
            if not form.is_valid():
                messages.error(request, next(iter(form.errors.values()))[0])
                return redirect("defects:performance", project.pk)
            data = dict(form.cleaned_data)
            data["transaction"] = data.pop("transaction")
            services.perf_target_update(actor=request.user, target=target, **data)
            messages.success(request, _("Target saved."))
    except DomainError as exc:
        _raise_if_denied(exc)
        messages.error(request, exc.message)
    return redirect("defects:performance", project.pk)


@project_view("defects.view")
def perf_run(request, project, run_id):
    run = selectors.perf_run_get_for_user(user=request.user, pk=run_id, project=project)
    can_manage = request.user.has_perm("defects.manage_tests", project)
    form = UploadForm(request.POST or None, request.FILES or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.perf_run_import(actor=request.user, run=run, upload=form.cleaned_data["file"])
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
            else:
                messages.success(request, _("Results imported."))
                return redirect("defects:perf_run", project.pk, run.pk)
    response = render_page(request, "defects/perf_run.html", _ctx(
        request, run=run, results=selectors.judged_results(run), form=form, history=history_for(run)))
    response.status_code = 400 if request.method == "POST" else 200
    return response


# ------------------------------------------------------------------ security findings

@project_view("defects.view_findings")
def findings(request, project):
    can_record = request.user.has_perm("defects.record_finding", project)
    which = request.POST.get("form")
    form = FindingForm(request.POST if which == "finding" else None) if can_record else None
    import_form = FindingImportForm(request.POST if which == "import" else None, request.FILES or None) \
        if can_record else None
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        target = form if which == "finding" else import_form if which == "import" else None
        if target is not None and target.is_valid():
            try:
                if which == "finding":
                    finding = services.finding_create(actor=request.user, project=project, **form.cleaned_data)
                    messages.success(request, _("%(key)s recorded.") % {"key": finding.key})
                    return redirect("defects:finding", project.pk, finding.pk)
                counts = services.findings_import(actor=request.user, project=project,
                                                  tool=import_form.cleaned_data["tool"],
                                                  upload=import_form.cleaned_data["file"])
                messages.success(request, _("Imported %(total)d findings: %(created)d new, %(updated)d seen before, "
                                            "%(reopened)d reopened.") % counts)
                return redirect("defects:findings", project.pk)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(target, exc)
    filters = FindingFilterForm(request.GET or None)
    f = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.finding_list_for_user(user=request.user, project=project, filters=f)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    response = render_page(request, "defects/findings.html", _ctx(
        request, page=page, findings=page.object_list, filters=filters, form=form, import_form=import_form,
        counts=selectors.finding_counts(project), today=timezone.localdate()), partial="table")
    response.status_code = 400 if request.method == "POST" else 200
    return response


def _finding_page(request, project, finding_id, status=200, **forms):
    finding = selectors.finding_get_for_user(user=request.user, pk=finding_id, project=project)
    user = request.user
    allowed = services.finding_allowed_next(finding, user)
    transition_form = forms.get("transition_form") or FindingTransitionForm()
    transition_form.fields["to"].choices = [(s, FindingStatus(s).label) for s in allowed]
    edit_form = forms.get("edit_form")
    if edit_form is None and user.has_perm("defects.record_finding", project):
        edit_form = FindingForm(initial={f: getattr(finding, f) for f in FindingForm.base_fields})
    context = _ctx(
        request, finding=finding, allowed=allowed, transition_form=transition_form if allowed else None,
        edit_form=edit_form, history=history_for(finding), today=timezone.localdate(),
        acceptance_form=forms.get("acceptance_form") or AcceptanceForm(),
        can_ask=finding.status == "open" and not finding.acceptance_pending
        and user.has_perm("defects.fix_finding", project),
        can_approve=finding.acceptance_pending and user.has_perm("defects.accept_risk", project)
        and finding.risk_requested_by_id != user.pk,
        can_decline=finding.acceptance_pending and (user.has_perm("defects.accept_risk", project)
                                                   or finding.risk_requested_by_id == user.pk),
        can_file=finding.status == "open" and not finding.defect_id
        and user.has_perm("defects.file_testing", project),
        defect_visible=finding.defect_id and selectors.defects_visible_to(user, project).filter(
            pk=finding.defect_id).exists())
    response = render_page(request, "defects/finding.html", context)
    response.status_code = status
    return response


@project_view("defects.view_findings")
def finding_detail(request, project, finding_id):
    if request.method == "POST":
        finding = selectors.finding_get_for_user(user=request.user, pk=finding_id, project=project)
        if not request.user.has_perm("defects.record_finding", project):
            raise PermissionDenied
        form = FindingForm(request.POST)
        if form.is_valid():
            changes = {f: v for f, v in form.cleaned_data.items() if getattr(finding, f) != v}
            try:
                services.finding_update(actor=request.user, finding=finding, **changes)
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
            else:
                messages.success(request, _("%(key)s saved.") % {"key": finding.key})
                return redirect("defects:finding", project.pk, finding.pk)
        return _finding_page(request, project, finding_id, status=400, edit_form=form)
    return _finding_page(request, project, finding_id)


FINDING_OPS = ("transition", "request-acceptance", "approve-acceptance", "decline-acceptance", "to-defect")


@project_view("defects.view_findings")
@require_POST
def finding_action(request, project, finding_id, op):
    if op not in FINDING_OPS:
        raise Http404
    finding = selectors.finding_get_for_user(user=request.user, pk=finding_id, project=project)
    forms = {}
    try:
        if op == "transition":
            form = FindingTransitionForm(request.POST)
            form.fields["to"].choices = [(s, s) for s in services.finding_allowed_next(finding, request.user)] \
                or FindingStatus.choices
            forms["transition_form"] = form
            if not form.is_valid():
                return _finding_page(request, project, finding_id, status=400, **forms)
            finding = services.finding_transition(actor=request.user, finding=finding, **form.cleaned_data)
            messages.success(request, _("%(key)s is now %(status)s.")
                             % {"key": finding.key, "status": finding.get_status_display()})
        elif op == "request-acceptance":
            form = AcceptanceForm(request.POST)
            forms["acceptance_form"] = form
            if not form.is_valid():
                return _finding_page(request, project, finding_id, status=400, **forms)
            services.finding_request_acceptance(actor=request.user, finding=finding, **form.cleaned_data)
            messages.success(request, _("Acceptance asked for; the project manager approves it."))
        elif op == "approve-acceptance":
            services.finding_approve_acceptance(actor=request.user, finding=finding)
            messages.success(request, _("Risk accepted until %(date)s.")
                             % {"date": finding.risk_expires_on.isoformat()})
        elif op == "decline-acceptance":
            services.finding_decline_acceptance(actor=request.user, finding=finding,
                                                comment=request.POST.get("comment", ""))
            messages.success(request, _("The acceptance was turned down; the finding stays open."))
        else:
            defect = services.finding_to_defect(actor=request.user, finding=finding)
            messages.success(request, _("%(key)s filed for the developers.") % {"key": defect.key})
    except DomainError as exc:
        _raise_if_denied(exc)
        if op in ("transition", "request-acceptance"):
            form_error(forms["transition_form" if op == "transition" else "acceptance_form"], exc)
            return _finding_page(request, project, finding_id, status=400, **forms)
        messages.error(request, exc.message)
        return _finding_page(request, project, finding_id, status=400)
    return redirect("defects:finding", project.pk, finding.pk)


# ------------------------------------------------------------------ traceability

@project_view("defects.view")
def traceability(request, project):
    """Requirement → test cases → latest results → defects."""
    rows = selectors.traceability(user=request.user, project=project)
    status = request.GET.get("status")
    if status in ("passing", "failing", "untested", "partial"):
        rows = [r for r in rows if r["status"] == status]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render_page(request, "defects/traceability.html", _ctx(
        request, page=page, rows=page.object_list, status_filter=status), partial="matrix")
