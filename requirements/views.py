"""Pages of the requirements app: requirements, review queue, progress, conflicts and surveys. Thin."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from projects.audit import history_for
from projects.errors import DomainError
from projects.pagecache import page_cache
from projects.views_base import form_error, fragment_wanted, project_view, render_page

from . import selectors, services
from .forms import (
    AnswerForm,
    CommentForm,
    ConflictForm,
    InterviewForm,
    QuestionForm,
    RequirementFilterForm,
    RequirementForm,
    ResolveForm,
    SurveyForm,
)
from .models import (
    Answer,
    ConflictStatus,
    Interview,
    Priority,
    Question,
    RequirementConflict,
    RequirementStatus,
    SurveyMethod,
    SurveyStatus,
)

SECTION = "requirements"
PAGE_SIZE = 50


SORT_COLUMNS = [("code", gettext_lazy("Code")), ("title", gettext_lazy("Title")),
                ("department", gettext_lazy("Department")), ("priority", gettext_lazy("Priority")),
                ("status", gettext_lazy("Status")), ("updated", gettext_lazy("Updated"))]


def _sort_columns(request, sort):
    columns = []
    for key, label in SORT_COLUMNS:
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = f"-{key}" if sort == key else key
        active = "asc" if sort == key else "desc" if sort == f"-{key}" else ""
        columns.append({"label": label, "query": params.urlencode(), "active": active})
    return columns


def _form_page(request, template, context):
    """The form again; a POST that got here was refused, so say so with a 400."""
    response = render_page(request, template, context)
    if request.method == "POST":
        response.status_code = 400
    return response


def _ctx(**kwargs):
    return {"section": SECTION, **kwargs}


# --------------------------------------------------------------------------- requirements

@project_view("requirements.view")
@page_cache(areas=("projects", "requirements"))
def requirement_list(request, project):
    filters = RequirementFilterForm(request.GET or None)
    f = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.requirement_list(user=request.user, project=project, status=f.get("status"),
                                    department=f.get("department"), priority=f.get("priority"), q=f.get("q"),
                                    sort=f.get("sort"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _ctx(
        page=page, requirements=page.object_list, filters=f, statuses=RequirementStatus.choices,
        priorities=Priority.choices, departments=project.departments.all(), sort=f.get("sort") or "code",
        can_write=request.user.has_perm("requirements.write", project), tab="list",
        sort_columns=_sort_columns(request, f.get("sort") or "code"),
    )
    return render_page(request, "requirements/list.html", context, partial="table")


@project_view("requirements.write")
def requirement_create(request, project):
    # ?title=&description= pre-fill the form (e.g. from triaged staff feedback).
    initial = {k: request.GET[k][:2000] for k in ("title", "description") if request.GET.get(k)}
    form = RequirementForm(request.POST or None, project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            requirement = services.requirement_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("%(code)s created as a draft.") % {"code": requirement.code})
            return redirect("requirements:detail", project.pk, requirement.pk)
    return _form_page(request, "requirements/form.html", _ctx(form=form, creating=True, tab="list"))


@project_view("requirements.view")
def requirement_detail(request, project, requirement_id):
    requirement = selectors.requirement_get_for_user(user=request.user, pk=requirement_id, project=project)
    detail = selectors.requirement_detail(requirement=requirement)
    versions = detail["versions"]
    diff = None
    if len(versions) > 1:
        numbers = {v.number: v for v in versions}
        try:
            new_n = int(request.GET.get("to") or versions[-1].number)
            old_n = int(request.GET.get("from") or new_n - 1)
        except ValueError:
            new_n, old_n = versions[-1].number, versions[-1].number - 1
        if old_n in numbers and new_n in numbers and old_n != new_n:
            diff = {"old": numbers[old_n], "new": numbers[new_n],
                    "rows": selectors.version_diff(old=numbers[old_n], new=numbers[new_n])}
    context = _review_context(request, project, requirement, detail)
    can_write = context["can_write"]
    context.update(
        diff=diff, linked=selectors.linked_objects(requirement=requirement),
        conflict_form=ConflictForm(requirement=requirement) if can_write else None,
    )
    return render_page(request, "requirements/detail.html", context, partial="diff")


def _review_context(request, project, requirement, detail=None):
    """What the page head, the review card and the history need (the whole page, or the card after an action)."""
    detail = detail or selectors.requirement_detail(requirement=requirement)
    return _ctx(
        requirement=requirement, **detail, history=history_for(requirement),
        can_write=request.user.has_perm("requirements.write", project),
        can_review=request.user.has_perm("requirements.review", project),
        can_withdraw=requirement.status == RequirementStatus.SUBMITTED
        and request.user.has_perm("requirements.withdraw", requirement),
        is_author=requirement.author_id == request.user.pk, comment_form=CommentForm(), tab="list",
    )


@project_view("requirements.write")
def requirement_edit(request, project, requirement_id):
    requirement = selectors.requirement_get_for_user(user=request.user, pk=requirement_id, project=project)
    initial = {"title": requirement.title, "description": requirement.description,
               "acceptance_criteria": requirement.acceptance_criteria, "priority": requirement.priority,
               "department": requirement.department_id}
    form = RequirementForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            before = requirement.version
            requirement = services.requirement_update(actor=request.user, requirement=requirement,
                                                      **{f: form.cleaned_data[f] for f in form.changed_data})
        except DomainError as exc:
            form_error(form, exc)
        else:
            if requirement.version != before:
                messages.success(request, _("Saved as version %(v)d. It needs a new review.")
                                 % {"v": requirement.version})
            else:
                messages.success(request, _("Requirement saved."))
            return redirect("requirements:detail", project.pk, requirement.pk)
    return _form_page(request, "requirements/form.html", _ctx(form=form, requirement=requirement, tab="list"))


ACTION_RULES = {"submit": "requirements.write", "approve": "requirements.review", "reject": "requirements.review",
                "request-changes": "requirements.review", "withdraw": "requirements.withdraw"}
ON_REQUIREMENT = {"withdraw"}  # rules asked about the requirement itself (its author), not the project
ACTION_DONE = {
    "submit": gettext_lazy("%(code)s submitted for review."), "approve": gettext_lazy("%(code)s approved."),
    "reject": gettext_lazy("%(code)s rejected."), "request-changes": gettext_lazy("Changes requested on %(code)s."),
    "withdraw": gettext_lazy("%(code)s withdrawn from review: it is a draft again."),
}


@project_view("requirements.view")
@require_POST
def requirement_action(request, project, requirement_id, action):
    requirement = selectors.requirement_get_for_user(user=request.user, pk=requirement_id, project=project)
    if action not in ACTION_RULES:
        raise PermissionDenied
    if not request.user.has_perm(ACTION_RULES[action], requirement if action in ON_REQUIREMENT else project):
        raise PermissionDenied
    form = CommentForm(request.POST)
    form.is_valid()
    error = done = None
    try:
        requirement = services.ACTIONS[action](request.user, requirement, form.cleaned_data.get("comment", ""))
    except DomainError as exc:
        error = str(exc.message)
    else:
        done = str(ACTION_DONE[action]) % {"code": requirement.code}
    if fragment_wanted(request):  # the review card again, with the page head and the history out of band
        requirement = selectors.requirement_get_for_user(user=request.user, pk=requirement.pk, project=project)
        context = _review_context(request, project, requirement)
        context.update(oob=True, action_error=error, action_done=done)
        # 200 with the message in the card even when refused: htmx swaps no 4xx answer (readiness, training alike)
        response = render(request, "requirements/detail.html#review", context)
        return trigger_client_event(response, "requirement-changed") if done else response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    if request.POST.get("next") == "review":
        return redirect("requirements:review", project.pk)
    return redirect("requirements:detail", project.pk, requirement.pk)


@project_view("requirements.write")
@require_POST
def requirement_bulk_submit(request, project):
    ids = [int(i) for i in request.POST.getlist("requirements") if i.isdigit()]
    try:
        done = services.requirement_bulk_submit(actor=request.user, project=project, requirement_ids=ids)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(n)d requirements submitted for review.") % {"n": len(done)})
    return redirect("requirements:list", project.pk)


@project_view("requirements.write")
@require_POST
def conflict_add(request, project, requirement_id):
    requirement = selectors.requirement_get_for_user(user=request.user, pk=requirement_id, project=project)
    form = ConflictForm(request.POST, requirement=requirement)
    if form.is_valid():
        try:
            services.conflict_create(actor=request.user, first=requirement, second=form.cleaned_data["other"],
                                     note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Conflict recorded."))
    else:
        messages.error(request, _("Choose the other requirement and describe the conflict."))
    return redirect("requirements:detail", project.pk, requirement.pk)


REVIEW_PAGE_SIZE = 50


@project_view("requirements.view")
@page_cache(areas=("projects", "requirements"))
def review_queue(request, project):
    can_review = request.user.has_perm("requirements.review", project)
    page = Paginator(selectors.review_queue(user=request.user, project=project) if can_review else [],
                     REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _ctx(items=selectors.with_age(page.object_list), page=page, can_review=can_review,
                   comment_form=CommentForm(), tab="review")
    return render_page(request, "requirements/review.html", context, partial="queue")


@project_view("requirements.view")
@page_cache(areas=("projects", "requirements"))
def progress(request, project):
    # The htmx partial is the KPI cards and the table; the page polls it so decisions show up by themselves.
    priority = request.GET.get("priority")
    if priority not in Priority.values:
        priority = None
    data = selectors.progress_by_department(project=project, priority=priority)
    approved, total = selectors.must_approval(project=project)
    context = _ctx(progress=data, must_approved=approved, must_total=total, statuses=RequirementStatus.choices,
                   priority=priority, priorities=Priority.choices, tab="progress")
    return render_page(request, "requirements/progress.html", context, partial="progress")


@project_view("requirements.view")
@page_cache(areas=("projects", "requirements"))
def conflict_list(request, project):
    status = request.GET.get("status")
    if status not in ConflictStatus.values:
        status = None
    context = _ctx(conflicts=selectors.conflicts(project=project, status=status), status=status,
                   can_write=request.user.has_perm("requirements.write", project), resolve_form=ResolveForm(),
                   tab="conflicts")
    return render_page(request, "requirements/conflicts.html", context, partial="table")


@project_view("requirements.write")
@require_POST
def conflict_resolve(request, project, conflict_id):
    conflict = get_object_or_404(RequirementConflict, pk=conflict_id, project=project)
    form = ResolveForm(request.POST)
    try:
        services.conflict_resolve(actor=request.user, conflict=conflict,
                                  resolution=form.data.get("resolution", ""))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Conflict resolved."))
    return redirect("requirements:conflicts", project.pk)


# --------------------------------------------------------------------------- surveys

@project_view("requirements.view")
@page_cache(areas=("projects", "requirements"))
def survey_list(request, project):
    can_manage = request.user.has_perm("requirements.manage_survey", project)
    context = _ctx(surveys=selectors.survey_list(user=request.user, project=project), can_manage=can_manage,
                   tab="surveys")
    return render_page(request, "requirements/surveys.html", context, partial="table")


@project_view("requirements.manage_survey")
def survey_create(request, project):
    form = SurveyForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Survey created as a draft."))
            return redirect("requirements:survey", project.pk, survey.pk)
    return _form_page(request, "requirements/survey_form.html", _ctx(form=form, tab="surveys"))


@project_view("requirements.manage_survey")
def survey_edit(request, project, survey_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    initial = {"title": survey.title, "description": survey.description, "due_date": survey.due_date,
               "departments": list(survey.departments.all())}
    form = SurveyForm(request.POST or None, initial=initial, project=project)
    del form.fields["method"]
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(actor=request.user, survey=survey,
                                   **{f: form.cleaned_data[f] for f in form.changed_data})
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("requirements:survey", project.pk, survey.pk)
    return _form_page(request, "requirements/survey_form.html", _ctx(form=form, survey=survey, tab="surveys"))


@project_view("requirements.view")
def survey_detail(request, project, survey_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    can_manage = request.user.has_perm("requirements.manage_survey", project)
    context = _ctx(survey=survey, can_manage=can_manage, questions=selectors.survey_questions(survey=survey),
                   mine=selectors.my_response(survey=survey, user=request.user), tab="surveys",
                   can_write=request.user.has_perm("requirements.write", project), history=history_for(survey))
    if can_manage:
        context["question_form"] = QuestionForm()
        context["interview_form"] = InterviewForm(project=project)
        if survey.method == SurveyMethod.QUESTIONNAIRE:
            context["rate"] = selectors.response_rate(survey=survey)
            context["summary"] = selectors.survey_summary(survey=survey)
    if survey.method == SurveyMethod.INTERVIEW:
        context["interviews"] = selectors.interviews(survey=survey)
    return render_page(request, "requirements/survey.html", context, partial="summary")


@project_view("requirements.manage_survey")
@require_POST
def survey_status(request, project, survey_id, action):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    service = {"open": services.survey_open, "close": services.survey_close}.get(action)
    if service is None:
        raise PermissionDenied
    try:
        service(actor=request.user, survey=survey)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Survey opened.") if action == "open" else
                         _("Survey closed; its answers are now frozen."))
    return redirect("requirements:survey", project.pk, survey.pk)


@project_view("requirements.manage_survey")
@require_POST
def question_add(request, project, survey_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(actor=request.user, survey=survey, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Question added."))
    else:
        messages.error(request, _("Write the question and choose its kind."))
    return redirect("requirements:survey", project.pk, survey.pk)


@project_view("requirements.manage_survey")
@require_POST
def question_delete(request, project, survey_id, question_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    question = get_object_or_404(Question, pk=question_id, survey=survey)
    try:
        services.question_delete(actor=request.user, question=question)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("requirements:survey", project.pk, survey.pk)


@project_view("requirements.answer_survey")
def survey_answer(request, project, survey_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    mine = selectors.my_response(survey=survey, user=request.user)
    questions = selectors.survey_questions(survey=survey)
    form = AnswerForm(request.POST or None, questions=questions, response=mine)
    status = 200
    frozen = survey.status != SurveyStatus.OPEN
    blocked = None
    try:
        services.check_can_answer(survey=survey, user=request.user)
    except DomainError as exc:
        blocked = str(exc.message)
    if request.method == "POST":
        if form.is_valid():
            try:
                if mine:
                    services.survey_response_update(actor=request.user, response=mine, answers=form.answers())
                else:
                    services.survey_answer(actor=request.user, survey=survey, answers=form.answers())
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = 400
            else:
                messages.success(request, _("Thank you: your answers are saved. You can change them until the "
                                            "survey closes."))
                return redirect("requirements:survey", project.pk, survey.pk)
        else:
            status = 400
    context = _ctx(survey=survey, form=form, mine=mine, frozen=frozen or bool(blocked), blocked=blocked,
                   tab="surveys")
    response = render_page(request, "requirements/answer.html", context)
    response.status_code = status
    return response


@project_view("requirements.manage_survey")
@require_POST
def interview_add(request, project, survey_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    form = InterviewForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.interview_record(actor=request.user, survey=survey, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Interview recorded."))
    else:
        messages.error(request, _("Fill in who was interviewed, when, and the notes."))
    return redirect("requirements:survey", project.pk, survey.pk)


@project_view("requirements.write")
@require_POST
def answer_to_requirement(request, project, survey_id, answer_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    answer = get_object_or_404(Answer.objects.select_related("response__survey__project", "question",
                                                             "response__department"),
                               pk=answer_id, response__survey=survey)
    return _to_requirement(request, project, lambda: services.requirement_from_answer(actor=request.user,
                                                                                       answer=answer), survey)


@project_view("requirements.write")
@require_POST
def interview_to_requirement(request, project, survey_id, interview_id):
    survey = selectors.survey_get_for_user(user=request.user, pk=survey_id, project=project)
    interview = get_object_or_404(Interview.objects.select_related("survey__project", "department"),
                                  pk=interview_id, survey=survey)
    return _to_requirement(request, project, lambda: services.requirement_from_interview(actor=request.user,
                                                                                          interview=interview), survey)


def _to_requirement(request, project, make, survey):
    try:
        requirement = make()
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("requirements:survey", project.pk, survey.pk)
    messages.success(request, _("%(code)s drafted from the survey; refine it and submit it for review.")
                     % {"code": requirement.code})
    return redirect("requirements:edit", project.pk, requirement.pk)


@project_view("requirements.view")
def requirement_lookup(request, project):
    """Suggestions for a requirement box (projects.pickers.RecordField): up to 15 by code or title."""
    from django.http import HttpResponse

    from projects.pickers import SUGGESTIONS, record_suggestions_html

    field = request.GET.get("field") or "q"
    found = selectors.requirement_search(project=project, q=request.GET.get(field) or request.GET.get("q"),
                                         limit=SUGGESTIONS)
    return HttpResponse(record_suggestions_html(found))
