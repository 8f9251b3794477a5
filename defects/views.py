"""Pages of the testing area: defects (list, board, filing, detail), test cycles and cases,
metrics and SLA settings. Thin: selectors read, services write."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from projects.audit import history_for
from projects.errors import DomainError
from projects.views_base import form_error, project_view, render_page

from . import charts, links, selectors, services
from .forms import (
    AssignForm,
    AttachmentForm,
    BulkTriageForm,
    CaseForm,
    CommentForm,
    CycleForm,
    DefectEditForm,
    DefectFilterForm,
    DefectForm,
    ResultForm,
    SlaForm,
    TransitionForm,
)
from .models import Defect, ResultStatus, Status

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
def board(request, project):
    form, f = _filters(request, project)
    column = request.GET.get("column")
    if column in Status.values and request.htmx:  # "show more" of one column: its next cards
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
    form = DefectForm(request.POST or None, initial=initial, project=project, user=request.user)
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
            if defect.category == "security" and not request.user.has_perm("defects.view_security", project):
                messages.info(request, _("Security defects are visible only to managers, testers, developers and "
                                         "ops; they will take it from here."))
                return redirect("defects:list", project.pk)
            return redirect("defects:detail", project.pk, defect.pk)
    status = 400 if request.method == "POST" else 200
    response = render_page(request, "defects/file.html", _ctx(request, form=form, result=result))
    response.status_code = status
    return response


def _detail_context(request, project, defect, **forms):
    user = request.user
    detail = selectors.defect_detail(defect=defect, user=user)
    allowed = services.allowed_next_for(defect, user)
    can_edit = (user.has_perm("defects.triage", project) or user.has_perm("defects.verify", project)
                or defect.reporter_id == user.pk)
    now = timezone.now()
    transition_form = forms.get("transition_form") or TransitionForm(initial={"to": allowed[0] if allowed else ""})
    transition_form.fields["to"].choices = [(s, Status(s).label) for s in allowed]
    return _ctx(
        request, defect=defect, **detail, allowed=allowed, overdue_at=defect.overdue_at(now),
        transition_form=transition_form if allowed else None,
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
        if request.htmx:
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
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


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
def metrics(request, project):
    data = selectors.metrics(user=request.user, project=project)
    context = _ctx(
        request, m=data, counts=selectors.defect_counts(user=request.user, project=project),
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
    form = SlaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sla_set(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            _raise_if_denied(exc)
            form_error(form, exc)
        else:
            messages.success(request, _("SLA saved; open defects follow the new deadlines."))
            return redirect("defects:sla", project.pk)
    response = render_page(request, "defects/sla.html", _ctx(request, form=form, sla=services.sla_table(project)))
    response.status_code = 400 if request.method == "POST" else 200
    return response


# ------------------------------------------------------------------ test cycles and cases

@project_view("defects.view")
def cycle_list(request, project):
    can_manage = request.user.has_perm("defects.manage_tests", project)
    form = CycleForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                cycle = services.cycle_create(actor=request.user, project=project, **form.cleaned_data)
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


@project_view("defects.view")
def cycle_detail(request, project, cycle_id):
    cycle = selectors.cycle_get_for_user(user=request.user, pk=cycle_id, project=project)
    can_manage = request.user.has_perm("defects.manage_tests", project)
    status = request.GET.get("status") if request.GET.get("status") in ResultStatus.values else None
    form = CycleForm(request.POST or None, instance=cycle) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.cycle_update(actor=request.user, cycle=cycle,
                                      **{f: form.cleaned_data[f] for f in form.changed_data})
            except DomainError as exc:
                _raise_if_denied(exc)
                form_error(form, exc)
            else:
                messages.success(request, _("Cycle saved."))
                return redirect("defects:cycle", project.pk, cycle.pk)
    # 50 a page: a regression cycle has hundreds of cases; the status filter narrows before paging.
    page = Paginator(selectors.cycle_results(user=request.user, cycle=cycle, status=status), 50).get_page(
        request.GET.get("page"))
    response = render_page(request, "defects/cycle.html", _ctx(
        request, cycle=cycle, page=page, results=page.object_list, can_manage=can_manage, status_filter=status,
        form=form,
        statuses=ResultStatus.choices, can_file=request.user.has_perm("defects.file_testing", project)),
        partial="results")
    response.status_code = 400 if request.method == "POST" else 200
    return response


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
    if not request.htmx:
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
    cases = selectors.case_list(project=project)
    q = (request.GET.get("q") or "").strip()
    if q:
        from django.db.models import Q

        cases = cases.filter(Q(title__icontains=q) | Q(code__icontains=q))
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    response = render_page(request, "defects/cases.html", _ctx(request, page=page, cases=page.object_list, form=form,
                                                              q=q, has_requirements=links.requirement_model() is not None), partial="table")
    response.status_code = 400 if request.method == "POST" else 200
    return response
