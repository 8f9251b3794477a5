"""Cutover pages: landing, preparation checklist, runbook editor, live run board, rehearsal
comparison, reconciliation and the contingency plan. Thin: selectors read, services write."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from projects.access import roles_of
from projects.api_base import require
from projects.audit import history_for
from projects.downloads import protected_file_response
from projects.errors import DomainError
from projects.models import Phase, Role
from projects.pagecache import page_cache
from projects.safety import local_path
from projects.views_base import form_error, fragment_wanted, project_view, render_page
from readiness import registry as readiness_registry

from . import excel, readiness_criteria, selectors, services
from .forms import (
    CheckForm,
    DrillForm,
    EnvCheckForm,
    EnvCheckStatusForm,
    EnvTemplateForm,
    EvidenceForm,
    ImportForm,
    IssueEditForm,
    IssueForm,
    IssueTransitionForm,
    MigrationEntityForm,
    PlanForm,
    RunbookForm,
    RunForm,
    ScenarioForm,
    StepActionForm,
    StepForm,
    UpdateForm,
    WorkItemForm,
    WorkItemStatusForm,
)
from .models import (
    ISSUE_TRANSITIONS,
    ContingencyScenario,
    CutoverIssue,
    Drill,
    EnvCheck,
    EnvCheckStatus,
    IssueStatus,
    MigrationCheck,
    PlanStatus,
    Run,
    RunbookKind,
    RunStep,
    RunStepStatus,
    Step,
    WorkItem,
)

SECTION = "cutover"
# The run board and the timeline poll every 5 s and show how far the night is from its plan: a cached
# page of them lives at most this long when nothing audited changes (projects.pagecache).
CUTOVER_TTL = 10
# The cutover pages show the runbooks, runs and plans (tasks), the people (projects) and the go/no-go (readiness).
AREAS = ("projects", "tasks", "readiness")


def _ctx(**kwargs):
    return {"section": SECTION, **kwargs}


def _runbook(project, runbook_id):
    return get_object_or_404(project.runbooks, pk=runbook_id)  # `runbook.project` is `project`: no query


def _run(project, run_id):
    return get_object_or_404(Run.objects.select_related("runbook", "project"), pk=run_id, project=project)


# ---------------------------------------------------------------- landing

@project_view("tasks.view")
@page_cache(ttl=CUTOVER_TTL, areas=AREAS)
def runbooks(request, project):
    can_edit = request.user.has_perm("tasks.edit", project)
    runbook_form = RunbookForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if runbook_form.is_valid():
            try:
                runbook = services.runbook_create(actor=request.user, project=project, **runbook_form.cleaned_data)
            except DomainError as exc:
                form_error(runbook_form, exc)
            else:
                messages.success(request, _("Runbook created. Add its steps."))
                return redirect("tasks:runbook", project.pk, runbook.pk)
    plan = selectors.plan_for_project(project=project)
    runs = selectors.attach_forecasts(selectors.runs_for_project(project=project), plans={project.pk: plan})
    # The scorecard's cutover criteria, from its cache: the project's own targets, one truth.
    criteria = [(e.label, e.result) for e in readiness_registry.area_results(project, "cutover")]
    runbook_list = selectors.runbooks_for_project(project=project)
    return render_page(request, "tasks/runbooks.html", _ctx(
        runbooks=runbook_list, runs=runs, criteria=criteria, runbook_form=runbook_form,
        run_form=RunForm(project=project, runbooks=runbook_list) if can_edit else None, can_edit=can_edit,
        plan=plan, now=timezone.now(),
    ), partial="runs")


# ---------------------------------------------------------------- preparation work items

def _workitems_context(request, project, list_url, **extra):
    """The checklist as shown at `list_url` (the page with its "mine"/status filters), so a row
    edited inline comes back inside the list the person was looking at."""
    query = QueryDict(urlsplit(list_url).query)
    mine = query.get("mine") == "1"
    status = query.get("status") or None
    phase = query.get("phase") if query.get("phase") in Phase.values else None
    groups = selectors.workitems_by_phase(project=project, owner=request.user if mine else None, status=status,
                                          phase=phase, page=query.get("page"))
    return _ctx(groups=groups, mine=mine, status=status, phase=phase, can_edit=request.user.has_perm("tasks.edit", project),
                now=timezone.now(), status_choices=WorkItem._meta.get_field("status").choices, list_url=list_url,
                **extra)


@project_view("tasks.view")
@page_cache(areas=AREAS)
def workitems(request, project):
    can_edit = request.user.has_perm("tasks.edit", project)
    form = WorkItemForm(request.POST or None, project=project) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.workitem_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Work item added."))
                return redirect(request.get_full_path())
    return render_page(request, "tasks/workitems.html",
                       _workitems_context(request, project, request.get_full_path(), form=form), partial="items")


@project_view("tasks.edit")
def workitem_edit(request, project, item_id):
    """Inline edit of one work item row: GET gives the form row, POST saves and gives the list back."""
    item = get_object_or_404(WorkItem.objects.select_related("owner"), pk=item_id, project=project)
    # `next` is the checklist with its filters; anything else (another page, another site) falls back to it.
    list_url = reverse("tasks:workitems", args=[project.pk])
    back = local_path(request.POST.get("next") or request.GET.get("next"))
    if urlsplit(back).path == list_url:
        list_url = back
    form = WorkItemForm(request.POST or None, project=project, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.workitem_update(actor=request.user, item=item, **form.changes())
        except DomainError as exc:
            form_error(form, exc)
        else:
            if fragment_wanted(request):
                response = render_page(request, "tasks/workitems.html",
                                       _workitems_context(request, project, list_url), partial="items")
                response["HX-Retarget"] = "#items"  # the row asked, but a new phase or due date moves it
                response["HX-Reswap"] = "outerHTML"
                return response
            messages.success(request, _("Work item saved."))
            return redirect(list_url)
    response = render_page(request, "tasks/workitem_edit.html", _ctx(
        item=item, form=form, list_url=list_url, history=history_for(item, limit=10)), partial="editrow")
    if request.method == "POST" and not fragment_wanted(request):
        response.status_code = 400  # htmx swaps only 2xx: there the re-rendered row carries the message
    return response


@project_view("tasks.view")
@require_POST
def workitem_status(request, project, item_id):
    item = get_object_or_404(WorkItem, pk=item_id, project=project)
    if not request.user.has_perm("tasks.update_item", item):
        raise PermissionDenied
    form = WorkItemStatusForm(request.POST)
    if form.is_valid():
        try:
            services.workitem_set_status(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(local_path(request.POST.get("next"), default=reverse("tasks:workitems", args=[project.pk])))


# ---------------------------------------------------------------- runbook editor

RUNBOOK_PAGE = 100  # steps a page; the plan (critical path, total) always covers all of them


def _runbook_context(request, project, runbook, **extra):
    # The page a change was made on stays in view: its forms post the page they were shown on.
    plan = selectors.runbook_plan(runbook=runbook)
    page = selectors.runbook_steps(runbook=runbook, page=request.POST.get("page") or request.GET.get("page"),
                                   per_page=RUNBOOK_PAGE, count=plan["count"])
    can_edit = request.user.has_perm("tasks.edit", project)
    return _ctx(runbook=runbook, steps=page.object_list, page=page, plan=plan, can_edit=can_edit,
                step_form=extra.pop("step_form", None) or (StepForm(runbook=runbook, step_ids=plan["ids"])
                                                           if can_edit else None),
                import_form=extra.pop("import_form", None) or (ImportForm() if can_edit else None),
                run_form=RunForm(project=project, runbooks=[runbook], initial={"runbook": runbook}) if can_edit else None,
                runs=runbook.runs.order_by("kind", "number"), **extra)


@project_view("tasks.view")
@page_cache(areas=AREAS)
def runbook_detail(request, project, runbook_id):
    runbook = _runbook(project, runbook_id)
    context = _runbook_context(request, project, runbook)
    if request.method == "POST":
        if not context["can_edit"]:
            raise PermissionDenied
        form = StepForm(request.POST, runbook=runbook)
        if form.is_valid():
            try:
                services.step_create(actor=request.user, runbook=runbook, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                context = _runbook_context(request, project, runbook)
                return render_page(request, "tasks/runbook.html", context, partial="steps") \
                    if fragment_wanted(request) else redirect("tasks:runbook", project.pk, runbook.pk)
        context = _runbook_context(request, project, runbook, step_form=form)
    context["history"] = history_for(runbook, limit=10)
    return render_page(request, "tasks/runbook.html", context, partial="steps")


@project_view("tasks.edit")
def step_edit(request, project, runbook_id, step_id):
    """Inline edit of one step row: GET gives the form row, POST saves and gives the row back."""
    runbook = _runbook(project, runbook_id)
    step = get_object_or_404(Step.objects.select_related("owner").prefetch_related("depends_on"), pk=step_id,
                             runbook=runbook)
    form = StepForm(request.POST or None, runbook=runbook, step=step)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        depends_on = data.pop("depends_on")
        try:
            services.step_update(actor=request.user, step=step, depends_on=depends_on, **data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            if fragment_wanted(request):
                context = _runbook_context(request, project, runbook)
                response = render_page(request, "tasks/runbook.html", context, partial="steps")
                response["HX-Retarget"] = "#steps"  # the row asked, but dependencies and order may change others
                response["HX-Reswap"] = "outerHTML"
                return response
            return redirect("tasks:runbook", project.pk, runbook.pk)
    return render_page(request, "tasks/step_edit.html", _ctx(runbook=runbook, step=step, form=form),
                       partial="editrow")


@project_view("tasks.edit")
@require_POST
def step_move(request, project, runbook_id, step_id):
    runbook = _runbook(project, runbook_id)
    step = get_object_or_404(Step, pk=step_id, runbook=runbook)
    services.step_move(actor=request.user, step=step, direction=request.POST.get("direction", "up"))
    if fragment_wanted(request):
        return render_page(request, "tasks/runbook.html", _runbook_context(request, project, runbook), partial="steps")
    return redirect("tasks:runbook", project.pk, runbook.pk)


@project_view("tasks.edit")
@require_POST
def step_delete(request, project, runbook_id, step_id):
    runbook = _runbook(project, runbook_id)
    step = get_object_or_404(Step, pk=step_id, runbook=runbook)
    services.step_delete(actor=request.user, step=step)
    if fragment_wanted(request):
        return render_page(request, "tasks/runbook.html", _runbook_context(request, project, runbook), partial="steps")
    messages.success(request, _("Step deleted."))
    return redirect("tasks:runbook", project.pk, runbook.pk)


@project_view("tasks.view")
def runbook_export(request, project, runbook_id):
    runbook = _runbook(project, runbook_id)
    data = excel.export_steps(selectors.runbook_steps(runbook=runbook))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = slugify(runbook.name) or f"runbook-{runbook.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@project_view("tasks.edit")
@require_POST
def runbook_import(request, project, runbook_id):
    runbook = _runbook(project, runbook_id)
    form = ImportForm(request.POST, request.FILES)
    import_errors = []
    if form.is_valid():
        try:
            rows = excel.read_rows(form.cleaned_data["file"])
            created = services.steps_import(actor=request.user, runbook=runbook, rows=rows)
        except DomainError as exc:
            form_error(form, exc)
            import_errors = exc.extra.get("errors", [])
        else:
            messages.success(request, _("%(n)d steps imported.") % {"n": len(created)})
            return redirect("tasks:runbook", project.pk, runbook.pk)
    context = _runbook_context(request, project, runbook, import_form=form, import_errors=import_errors)
    response = render_page(request, "tasks/runbook.html", context)
    response.status_code = 400
    return response


@project_view("tasks.view")
@page_cache(areas=AREAS)
def rehearsal_compare(request, project, runbook_id):
    runbook = _runbook(project, runbook_id)
    if request.method == "POST":
        if not request.user.has_perm("tasks.edit", project):
            raise PermissionDenied
        step_ids = request.POST.getlist("step") or None
        changed = services.steps_adopt_rehearsal_median(actor=request.user, runbook=runbook, step_ids=step_ids)
        messages.success(request, _("Planned minutes updated for %(n)d steps.") % {"n": changed})
        return redirect(local_path(request.POST.get("next"), default=reverse("tasks:compare",
                                                                              args=[project.pk, runbook.pk])))
    return render_page(request, "tasks/compare.html", _ctx(
        runbook=runbook, comparison=selectors.rehearsal_comparison(
            runbook=runbook, over_only=request.GET.get("over") == "1", page=request.GET.get("page")),
        can_edit=request.user.has_perm("tasks.edit", project)), partial="comparison")


# ---------------------------------------------------------------- runs and the live board

@project_view("tasks.edit")
@require_POST
def run_create(request, project):
    form = RunForm(request.POST, project=project)
    if form.is_valid():
        try:
            run = services.run_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(run)s created from the runbook as it is now.") % {"run": run.label})
            return redirect("tasks:run", project.pk, run.pk)
    else:
        messages.error(request, _("Choose a runbook and a kind."))
    return redirect("tasks:runbooks", project.pk)


def _board_context(request, project, run, **extra):
    show = "all" if request.GET.get("steps") == "all" else "focus"
    board = selectors.run_board(run=run, user=request.user, show=show, page=request.GET.get("page"))
    is_manager = Role.MANAGER in roles_of(request.user, project)
    return _ctx(run=run, board=board, can_edit=request.user.has_perm("tasks.edit", project),
                is_manager=is_manager, action_form=StepActionForm(),
                may_file=request.user.has_perm("tasks.file_issue", project), **extra)


@project_view("tasks.view")
@page_cache(ttl=CUTOVER_TTL, areas=AREAS)
def run_board(request, project, run_id):
    run = _run(project, run_id)
    context = _board_context(request, project, run)
    if not request.htmx or request.htmx.boosted or request.htmx.history_restore_request:
        context.update(_timeline_context(request, project, run))
    return render_page(request, "tasks/run.html", context, partial="board")


@project_view("tasks.view")
@require_POST
def run_step_action(request, project, run_id, step_id, verb):
    if verb not in ("start", "complete", "fail", "skip"):
        raise Http404
    run = _run(project, run_id)
    run_step = get_object_or_404(RunStep, run=run, source_step_id=step_id)
    form = StepActionForm(request.POST)
    form.is_valid()
    note, decision = form.cleaned_data.get("note", ""), form.cleaned_data.get("decision", "")
    error = None
    try:
        if verb == "start":
            services.runstep_start(actor=request.user, run_step=run_step)
        elif verb == "complete":
            services.runstep_complete(actor=request.user, run_step=run_step, note=note, decision=decision)
        elif verb == "fail":
            services.runstep_fail(actor=request.user, run_step=run_step, note=note)
        else:
            services.runstep_skip(actor=request.user, run_step=run_step, reason=note)
    except DomainError as exc:
        error = exc.message
    if fragment_wanted(request):
        run.refresh_from_db()
        response = render_page(request, "tasks/run.html",
                               _board_context(request, project, run, action_error=error, error_step=step_id),
                               partial="board")
        if error:
            response.status_code = 200  # htmx swaps only 2xx; the message shows on the board
        return response
    if error:
        messages.error(request, error)
    return redirect("tasks:run", project.pk, run.pk)


@project_view("tasks.view")
def run_step_detail(request, project, run_id, step_id):
    run = _run(project, run_id)
    run_step = get_object_or_404(RunStep.objects.select_related("owner", "started_by", "finished_by"), run=run,
                                 source_step_id=step_id)
    run_step.run = run
    deps = list(run.steps.filter(source_step_id__in=run_step.depends_on).order_by("order"))
    waits_for = [d for d in deps if d.status not in (RunStepStatus.DONE, RunStepStatus.SKIPPED)]
    may_file = request.user.has_perm("tasks.file_issue", project)
    issue_form = IssueForm(initial={"step": run_step.pk, "title": _("Problem with “%(step)s”") % {
        "step": run_step.title}}, run=run) if may_file else None
    return render_page(request, "tasks/run_step.html", _ctx(
        run=run, rs=run_step, deps=deps, waits_for=waits_for, form=StepActionForm(), issue_form=issue_form,
        step_issues=list(run_step.issues.select_related("owner").order_by("-opened_at", "-id")),
        opens_at=selectors.run_waits_for_window(run=run, now=timezone.now()),
        is_manager=Role.MANAGER in roles_of(request.user, project), history=history_for(run_step, limit=20)))


# ---------------------------------------------------------------- reconciliation

@project_view("tasks.view")
def run_checks(request, project, run_id):
    run = _run(project, run_id)
    can_edit = request.user.has_perm("tasks.edit", project)
    form = CheckForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.check_create(actor=request.user, run=run, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Check recorded."))
                return redirect("tasks:checks", project.pk, run.pk)
    checks = selectors.checks_for_run(run=run)
    return render_page(request, "tasks/checks.html", _ctx(
        run=run, checks=checks, form=form, can_edit=can_edit, clean=selectors.reconciliation_clean(checks),
        mismatches=sum(1 for c in checks if c.status != "match")), partial="checks")


@project_view("tasks.edit")
@require_POST
def check_confirm_backup(request, project, run_id, check_id):
    run = _run(project, run_id)
    check = get_object_or_404(MigrationCheck, pk=check_id, run=run)
    try:
        services.check_confirm_backup(actor=request.user, check=check)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("tasks:checks", project.pk, run.pk)


# ---------------------------------------------------------------- contingency plan

@project_view("tasks.view")
@page_cache(ttl=CUTOVER_TTL, areas=AREAS)
def contingency(request, project):
    plan = selectors.plan_for_project(project=project)
    can_edit = request.user.has_perm("tasks.edit", project) and (plan is None or plan.status != PlanStatus.APPROVED)
    form = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = PlanForm(request.POST, project=project)
        if form.is_valid():
            try:
                services.plan_save(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Contingency plan saved. It needs the manager's and the business "
                                            "reviewer's approval."))
                return redirect("tasks:contingency", project.pk)
    return contingency_page(request, project, plan_form=form, plan=plan)


_UNSET = object()


def contingency_page(request, project, plan_form=None, scenario_form=None, drill_form=None, plan=_UNSET):
    """The plan, its scenarios and drills. Only renders: the plan, scenario and drill forms post to
    their own views, which give a form with errors back here. `plan`: when the caller loaded it (and
    saved nothing since)."""
    if plan is _UNSET:
        plan = selectors.plan_for_project(project=project)
    may_edit = request.user.has_perm("tasks.edit", project)
    can_edit_plan = may_edit and (plan is None or plan.status != PlanStatus.APPROVED)
    initial = {}
    if plan is not None:
        initial = {"rollback_criteria": plan.rollback_criteria, "decision_owner": plan.decision_owner_id,
                   "rollback_runbook": plan.rollback_runbook_id,
                   "point_of_no_return_at": plan.point_of_no_return_at}
    # Both forms offer the project's rollback runbooks: loaded once for the two selects.
    rollback_runbooks = list(project.runbooks.filter(kind=RunbookKind.ROLLBACK).order_by("name", "id")) \
        if may_edit else []
    form = plan_form or (PlanForm(project=project, initial=initial, rollback_runbooks=rollback_runbooks)
                         if can_edit_plan else None)
    roles = roles_of(request.user, project)
    rollback_steps = selectors.runbook_steps(runbook=plan.rollback_runbook) if plan and plan.rollback_runbook else []
    decision_run, decision = selectors.project_decision_point(project=project, plan=plan)
    response = render_page(request, "tasks/contingency.html", _ctx(
        decision_run=decision_run, decision=decision,
        scenarios=selectors.scenarios_for_project(project=project),
        drills=selectors.drills_for_project(project=project)[:20],
        # The scorecard's own figure, from its cache (one truth, the project's target).
        rollback=next((e.result for e in readiness_registry.area_results(project, "cutover")
                       if e.key == "rollback_rehearsed"), None),
        scenario_form=scenario_form or (ScenarioForm(project=project, rollback_runbooks=rollback_runbooks)
                                        if may_edit else None),
        drill_form=drill_form or (DrillForm(project=project) if may_edit else None), may_edit=may_edit,
        plan=plan, form=form, rollback_steps=rollback_steps,
        rollback_minutes=selectors.runbook_plan(runbook=plan.rollback_runbook, steps=rollback_steps)["minutes"]
        if rollback_steps else 0,
        can_approve_manager=Role.MANAGER in roles, can_approve_business=Role.BUSINESS in roles,
        history=history_for(plan, limit=10) if plan else []))
    if plan_form is not None:
        response.status_code = 400
    return response


@project_view("tasks.approve_plan")
@require_POST
def contingency_approve(request, project):
    plan = selectors.plan_for_project(project=project)
    if plan is None:
        messages.error(request, _("Write the contingency plan first."))
    else:
        try:
            services.plan_approve(actor=request.user, plan=plan, as_role=request.POST.get("as_role", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Approval recorded."))
    return redirect("tasks:contingency", project.pk)


# ---------------------------------------------------------------- the cutover night: issues and the timeline

CUTOVER_CHANGED = "cutover-changed"  # htmx event: the board and the timeline refresh on it


def _issue_form_context(request, project, run, form=None):
    step = None
    raw = request.GET.get("step")
    if form is None:
        initial = {}
        if raw and raw.isdigit():
            step = run.steps.filter(source_step_id=int(raw)).first()
        if step is not None:
            initial = {"step": step.pk, "title": _("Problem with “%(step)s”") % {"step": step.title}}
        form = IssueForm(initial=initial, run=run)
    return _ctx(run=run, form=form, step=step)


@project_view("tasks.file_issue")
def issue_new(request, project, run_id):
    """Report an issue of a run: the board and a step's page open this form (prefilled from the step),
    so filing takes two clicks. Without JavaScript it is a page of its own."""
    run = _run(project, run_id)
    if request.method == "GET" and request.GET.get("close"):
        return HttpResponse("")  # the board's "cancel": empty the slot
    if request.method == "POST":
        form = IssueForm(request.POST, run=run)
        if form.is_valid():
            try:
                issue = services.issue_file(actor=request.user, run=run, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                if fragment_wanted(request):
                    response = render_page(request, "tasks/issue_new.html",
                                           _ctx(run=run, issue=issue), partial="filed")
                    return trigger_client_event(response, CUTOVER_CHANGED)
                messages.success(request, _("Issue #%(n)d reported.") % {"n": issue.number})
                return redirect("tasks:run", project.pk, run.pk)
        response = render_page(request, "tasks/issue_new.html", _issue_form_context(request, project, run, form),
                               partial="form")
        if not fragment_wanted(request):
            response.status_code = 400  # htmx swaps only 2xx: there the form carries the message
        return response
    return render_page(request, "tasks/issue_new.html", _issue_form_context(request, project, run), partial="form")


@project_view("tasks.view")
def run_issues(request, project, run_id):
    run = _run(project, run_id)
    status = request.GET.get("status") or "open"
    if status not in ("open", "all", *IssueStatus.values):
        status = "open"
    issues = list(selectors.issues_for_run(run=run, status=None if status == "all" else status))
    return render_page(request, "tasks/issues.html", _ctx(
        run=run, issues=issues, status=status, statuses=IssueStatus.choices,
        may_file=request.user.has_perm("tasks.file_issue", project)), partial="table")


def _issue_context(request, project, issue, **extra):
    may_work = request.user.has_perm("tasks.work_issue", issue)
    return _ctx(issue=issue, run=issue.run, may_work=may_work,
                next_statuses=[(s, IssueStatus(s).label) for s in sorted(ISSUE_TRANSITIONS[issue.status])],
                transition_form=extra.pop("transition_form", None) or IssueTransitionForm(),
                edit_form=extra.pop("edit_form", None) or (IssueEditForm(issue=issue) if may_work else None),
                events=list(issue.events.select_related("actor").order_by("at", "id")),
                history=history_for(issue, limit=15), **extra)


def _issue(project, issue_id):
    return get_object_or_404(CutoverIssue.objects.select_related(
        "run", "run__runbook", "run__project", "step", "owner", "opened_by"), pk=issue_id, project=project)


@project_view("tasks.view")
def issue_detail(request, project, issue_id):
    issue = _issue(project, issue_id)
    status = 200
    edit_form = None
    if request.method == "POST":
        if not request.user.has_perm("tasks.work_issue", issue):
            raise PermissionDenied
        edit_form = IssueEditForm(request.POST, issue=issue)
        if edit_form.is_valid():
            try:
                services.issue_update(actor=request.user, issue=issue, **edit_form.changes())
            except DomainError as exc:
                form_error(edit_form, exc)
            else:
                messages.success(request, _("Issue saved."))
                return redirect("tasks:issue", project.pk, issue.pk)
        status = 400
    response = render_page(request, "tasks/issue.html", _issue_context(request, project, issue, edit_form=edit_form))
    response.status_code = status
    return response


@project_view("tasks.view")
@require_POST
def issue_transition(request, project, issue_id):
    issue = _issue(project, issue_id)
    if not request.user.has_perm("tasks.work_issue", issue):
        raise PermissionDenied
    form = IssueTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.issue_transition(actor=request.user, issue=issue, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Issue #%(n)d is %(status)s now.") % {
                "n": issue.number, "status": IssueStatus(form.cleaned_data["to"]).label.lower()})
            return redirect("tasks:issue", project.pk, issue.pk)
    issue = _issue(project, issue_id)
    response = render_page(request, "tasks/issue.html", _issue_context(request, project, issue, transition_form=form))
    response.status_code = 400
    return response


def _timeline_context(request, project, run, form=None):
    may_post = request.user.has_perm("tasks.post_update", project)
    return {"timeline": selectors.run_timeline(run=run, newest_first=True, limit=TIMELINE_LIMIT),
            "may_post": may_post, "update_form": form or (UpdateForm() if may_post else None)}


TIMELINE_LIMIT = 200  # newest first; the API pages through all of it


@project_view("tasks.view")
@page_cache(ttl=CUTOVER_TTL, areas=AREAS)
def run_timeline(request, project, run_id):
    """The war-room timeline. GET: the page, or (htmx) just the feed the board polls; POST: a status
    update, answered (htmx) with the whole panel: a fresh form and the feed with the update in it."""
    run = _run(project, run_id)
    if request.method != "POST":
        return render_page(request, "tasks/timeline.html", _ctx(run=run, **_timeline_context(request, project, run)),
                           partial="feed")
    if not request.user.has_perm("tasks.post_update", project):
        raise PermissionDenied
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.run_post_update(actor=request.user, run=run, text=form.cleaned_data["text"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            if fragment_wanted(request):
                response = render_page(request, "tasks/timeline.html",
                                       _ctx(run=run, **_timeline_context(request, project, run)), partial="timeline")
                return trigger_client_event(response, CUTOVER_CHANGED)
            messages.success(request, _("Update posted to the timeline and the team's chats."))
            return redirect("tasks:run", project.pk, run.pk)
    response = render_page(request, "tasks/timeline.html",
                           _ctx(run=run, **_timeline_context(request, project, run, form)), partial="timeline")
    if not fragment_wanted(request):
        response.status_code = 400  # htmx swaps only 2xx: there the panel carries the message
    return response


# ---------------------------------------------------------------- contingency scenarios and drills

@project_view("tasks.edit")
@require_POST
def scenario_add(request, project):
    form = ScenarioForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.scenario_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Scenario added."))
            return redirect("tasks:contingency", project.pk)
    response = contingency_page(request, project, scenario_form=form)
    response.status_code = 400
    return response


@project_view("tasks.view")
def scenario_detail(request, project, scenario_id):
    scenario = get_object_or_404(ContingencyScenario.objects.select_related("owner", "rollback_runbook"),
                                 pk=scenario_id, project=project)
    can_edit = request.user.has_perm("tasks.edit", project)
    initial = {"trigger": scenario.trigger, "response": scenario.response, "owner": scenario.owner_id,
               "rollback_runbook": scenario.rollback_runbook_id}
    form = ScenarioForm(request.POST or None, project=project, keep_owner=scenario.owner_id,
                        initial=initial) if can_edit else None
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if request.POST.get("delete"):
            services.scenario_delete(actor=request.user, scenario=scenario)
            messages.success(request, _("Scenario deleted with its drills."))
            return redirect("tasks:contingency", project.pk)
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if getattr(v, "pk", v) != initial.get(k)}
            try:
                services.scenario_update(actor=request.user, scenario=scenario, **changes)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Scenario saved."))
                return redirect("tasks:scenario", project.pk, scenario.pk)
        status = 400
    response = render_page(request, "tasks/scenario.html", _ctx(
        scenario=scenario, form=form, can_edit=can_edit,
        drills=list(scenario.drills.select_related("run", "run__runbook", "recorded_by").order_by("-held_at", "-id")),
        history=history_for(scenario, limit=10)))
    response.status_code = status
    return response


@project_view("tasks.edit")
@require_POST
def drill_add(request, project):
    form = DrillForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.drill_record(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Drill recorded."))
            return redirect("tasks:contingency", project.pk)
    response = contingency_page(request, project, drill_form=form)
    response.status_code = 400
    return response


@project_view("tasks.edit")
@require_POST
def drill_delete(request, project, drill_id):
    drill = get_object_or_404(Drill, pk=drill_id, project=project)
    services.drill_delete(actor=request.user, drill=drill)
    messages.success(request, _("Drill deleted."))
    return redirect("tasks:contingency", project.pk)


# ---------------------------------------------------------------- data-migration plan

@project_view("tasks.view")
def migration_plan(request, project):
    """The plan's entities (source → target, rules) with each of the last rehearsals' counts, duplicates
    removed, rejected rows, reconciliation and backup/restore test (htmx partial `plan`)."""
    can_edit = request.user.has_perm("tasks.edit", project)
    form, status = None, 200
    if request.method == "POST":
        require(request.user, "tasks.edit", project)
        form = MigrationEntityForm(request.POST, project=project)
        if form.is_valid():
            try:
                services.entity_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Entity added to the migration plan."))
                return redirect("tasks:migration_plan", project.pk)
        status = 400
    if form is None and can_edit:
        form = MigrationEntityForm(project=project)
    run, checks, not_ready = selectors.migration_restore_state(project=project)
    response = render_page(request, "tasks/migration_plan.html", _ctx(
        plan=selectors.migration_plan(project=project), form=form, can_edit=can_edit, tab="migration",
        latest=run, latest_checks=checks, not_ready=not_ready), partial="plan")
    response.status_code = status
    return response


@project_view("tasks.edit")
@require_POST
def check_confirm_restore(request, project, run_id, check_id):
    run = _run(project, run_id)
    check = get_object_or_404(MigrationCheck, pk=check_id, run=run)
    try:
        services.check_confirm_restore(actor=request.user, check=check)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Restore test recorded."))
    return redirect(local_path(request.POST.get("next"), reverse("tasks:checks", args=[project.pk, run.pk])))


# ---------------------------------------------------------------- environment checklists

ENV_TAB = "environment"


def _env_context(request, project, **extra):
    mine = request.GET.get("mine") == "1"
    status = request.GET.get("status") if request.GET.get("status") in EnvCheckStatus.values else None
    return _ctx(tab=ENV_TAB, groups=selectors.envchecks_by_category(
        project=project, owner=request.user if mine else None, status=status), mine=mine, status=status,
        can_edit=request.user.has_perm("tasks.edit", project), now=timezone.now(),
        status_choices=EnvCheckStatus.choices, criterion=readiness_criteria.environment_ready(project, 0), **extra)


@project_view("tasks.view")
def env_checks(request, project):
    """The environment, hardware, network, software, office, emergency-supply and security checklists
    with a progress bar each; ready, failed/blocked and evidence inline (htmx partial `checklists`)."""
    can_edit = request.user.has_perm("tasks.edit", project)
    form, status = None, 200
    if request.method == "POST":
        require(request.user, "tasks.edit", project)
        form = EnvCheckForm(request.POST, project=project)
        if form.is_valid():
            try:
                item = services.envcheck_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Item added to the checklist."))
                return redirect(reverse("tasks:env_checks", args=[project.pk]) + f"#env-{item.pk}")
        status = 400
    if form is None and can_edit:
        form = EnvCheckForm(project=project)
    response = render_page(request, "tasks/env_checks.html", _env_context(
        request, project, form=form, template_form=EnvTemplateForm() if can_edit else None), partial="checklists")
    response.status_code = status
    return response


@project_view("tasks.edit")
@require_POST
def env_template(request, project):
    """Copy the standard checklists into the project (items it has already are skipped)."""
    form = EnvTemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        response = render_page(request, "tasks/env_checks.html", _env_context(request, project, template_form=form))
        response.status_code = 400
        return response
    created = services.envcheck_apply_template(actor=request.user, project=project, **form.cleaned_data)
    messages.success(request, ngettext("%(n)d standard item added.", "%(n)d standard items added.", len(created))
                     % {"n": len(created)})
    return redirect("tasks:env_checks", project.pk)


def _env_item(project, item_id):
    return get_object_or_404(EnvCheck.objects.select_related("project"), pk=item_id, project=project)


def _env_row(request, project, item, *, error=None):
    """One row of the checklist after an inline change, with its checklist's progress bar and the
    criterion out of band (htmx swaps only 2xx: a refusal comes back in the row, as a message)."""
    item = selectors.envcheck_get(project=project, pk=item.pk)
    group = {"category": item.category, "label": item.get_category_display(),
             **selectors.envcheck_progress(project=project).get(item.category, {})}
    return render(request, "tasks/env_checks.html#row_oob", _ctx(
        project=project, item=item, g=group, row_error=error, now=timezone.now(),
        status_choices=EnvCheckStatus.choices, criterion=readiness_criteria.environment_ready(project, 0)))


def _env_done(request, project, item, error, success):
    if fragment_wanted(request):
        return _env_row(request, project, item, error=error)
    if error:
        messages.error(request, error)
        response = render_page(request, "tasks/env_checks.html", _env_context(request, project))
        response.status_code = 400
        return response
    messages.success(request, success)
    return redirect(reverse("tasks:env_checks", args=[project.pk]) + f"#env-{item.pk}")


def _form_problem(form):
    return next((str(errors[0]) for errors in form.errors.values()), _("Check the form."))


@project_view("tasks.view")
@require_POST
def env_check_status(request, project, item_id):
    item = _env_item(project, item_id)
    require(request.user, "tasks.check_env", item)
    form = EnvCheckStatusForm(request.POST)
    error = None if form.is_valid() else _form_problem(form)
    if error is None:
        try:
            services.envcheck_transition(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as exc:
            error = str(exc.message)
    return _env_done(request, project, item, error, _("Checklist item updated."))


@project_view("tasks.view")
@require_POST
def env_evidence_add(request, project, item_id):
    item = _env_item(project, item_id)
    require(request.user, "tasks.check_env", item)
    form = EvidenceForm(request.POST, request.FILES)
    error = None if form.is_valid() else _form_problem(form)
    if error is None:
        try:
            services.envcheck_add_evidence(actor=request.user, item=item, upload=form.cleaned_data["file"],
                                           url=form.cleaned_data["url"], note=form.cleaned_data["note"])
        except DomainError as exc:
            error = str(exc.message)
    return _env_done(request, project, item, error, _("Evidence added."))


@project_view("tasks.view")
def env_check_detail(request, project, item_id):
    """One item: facts, evidence, history; ops and managers edit or delete it here."""
    item = selectors.envcheck_get(project=project, pk=item_id)
    can_edit = request.user.has_perm("tasks.edit", project)
    form = EnvCheckForm(request.POST or None, project=project, item=item) if can_edit else None
    status = 200
    if request.method == "POST":
        require(request.user, "tasks.edit", project)
        if request.POST.get("delete"):
            try:
                services.envcheck_delete(actor=request.user, item=item)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("tasks:env_check", project.pk, item.pk)
            messages.success(request, _("Checklist item deleted."))
            return redirect("tasks:env_checks", project.pk)
        if form.is_valid():
            try:
                services.envcheck_update(actor=request.user, item=item, **form.changes())
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Checklist item saved."))
                return redirect("tasks:env_check", project.pk, item.pk)
        status = 400
    response = render_page(request, "tasks/env_check.html", _ctx(
        tab=ENV_TAB, item=item, form=form, can_edit=can_edit, now=timezone.now(),
        evidence_form=EvidenceForm() if request.user.has_perm("tasks.check_env", item) else None,
        history=history_for(item, limit=20)))
    response.status_code = status
    return response


@project_view("tasks.view")
def env_evidence_download(request, project, item_id, evidence_id):
    evidence = selectors.evidence_get_for_user(user=request.user, project=project, item_pk=item_id, pk=evidence_id)
    return protected_file_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type)
