"""Training pages: catalogue, my training, courses, the trainer's session page, coverage, calendar."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from projects.api_base import require
from projects.audit import history_for
from projects.downloads import protected_file_response
from projects.errors import DomainError
from projects.models import Department, Role
from projects.pagecache import page_cache
from projects.people import display_name
from projects.safety import external_link_ok, local_path
from projects.views_base import form_error, fragment_wanted, project_view, render_page
from readiness.registry import criterion_settings

from . import calendar, exports, selectors, services
from .forms import (
    CatalogueFilterForm,
    ChangeImpactForm,
    CourseForm,
    EnrolOtherForm,
    MaterialForm,
    ModuleForm,
    QuestionForm,
    SessionForm,
)
from .models import (
    CalendarToken,
    ChangeImpact,
    Course,
    CourseMaterial,
    EnrolmentStatus,
    ImpactLevel,
    Mode,
    ModuleKind,
    Question,
)


def _ctx(request, project, **extra):
    user = request.user
    return {"section": "training", "can_manage": user.has_perm("training.manage_sessions", project),
            "can_coverage": user.has_perm("training.view_coverage", project), **extra}


def _next(request, default):
    return local_path(request.POST.get("next") or request.GET.get("next"), default=default)


# ------------------------------------------------------------------------------------------ catalogue

@project_view("training.view")
@page_cache(areas=selectors.AREAS)
def catalogue(request, project):
    filters = CatalogueFilterForm(request.GET or None)
    f = filters.cleaned_data if filters.is_valid() else {}
    sessions = selectors.catalogue(project=project, user=request.user, course=f.get("course"), mode=f.get("mode"),
                                   date_from=f.get("date_from"), date_to=f.get("date_to"),
                                   include_past=f.get("past", False))
    context = _ctx(request, project, sessions=sessions, filters=filters, now=timezone.now(), modes=Mode.choices,
                   course_options=selectors.courses(project=project).values_list("pk", "title"), tab="catalogue")
    return render_page(request, "training/catalogue.html", context, partial="table")


def _session_row(request, project, session_id, error=None):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    return render(request, "training/catalogue.html#row",
                  {"s": session, "project": project, "now": timezone.now(), "row_error": error})


@project_view("training.enrol")
@require_POST
def enrol(request, project, session_id):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    target = request.user
    if request.POST.get("user") and str(request.POST["user"]) != str(request.user.pk):
        require(request.user, "training.run_session", session)
        form = EnrolOtherForm(request.POST, project=project)
        if not form.is_valid():
            messages.error(request, _("Choose a member of the project."))
            return redirect("training:session", project.pk, session.pk)
        target = form.cleaned_data["user"]
    try:
        enrolment = services.enrolment_enrol(actor=request.user, session=session, user=target)
    except DomainError as exc:
        if fragment_wanted(request):
            return _session_row(request, project, session.pk, error=str(exc.message))
        messages.error(request, str(exc.message))
    else:
        if fragment_wanted(request):
            return trigger_client_event(_session_row(request, project, session.pk), "training-changed")
        if enrolment.status == EnrolmentStatus.WAITLISTED:
            messages.warning(request, _("The session is full: you are number %(n)d on the waitlist.")
                             % {"n": enrolment.waitlist_position})
        else:
            messages.success(request, _("Signed up: %(name)s has a seat.")
                             % {"name": display_name(target)})
    return redirect(_next(request, reverse("training:session", args=[project.pk, session.pk])))


@project_view("training.enrol")
@require_POST
def cancel(request, project, session_id):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    target = request.user
    if request.POST.get("user") and str(request.POST["user"]) != str(request.user.pk):
        require(request.user, "training.run_session", session)
        form = EnrolOtherForm(request.POST, project=project)
        if not form.is_valid():
            raise Http404
        target = form.cleaned_data["user"]
    try:
        services.enrolment_cancel(actor=request.user, session=session, user=target)
    except DomainError as exc:
        if fragment_wanted(request):
            return _session_row(request, project, session.pk, error=str(exc.message))
        messages.error(request, str(exc.message))
    else:
        if fragment_wanted(request):
            return trigger_client_event(_session_row(request, project, session.pk), "training-changed")
        messages.success(request, _("Cancelled. The seat goes to the next person waiting."))
    return redirect(_next(request, reverse("training:session", args=[project.pk, session.pk])))


# ------------------------------------------------------------------------------------------ my training

@project_view("training.view")
def mine(request, project):
    token = CalendarToken.objects.filter(user=request.user).first()
    feed_url = request.build_absolute_uri(reverse("training:feed", args=[token.token])) if token else None
    context = _ctx(request, project, mine=selectors.my_training(project=project, user=request.user), tab="mine",
                   feed_url=feed_url, now=timezone.now())
    return render(request, "training/mine.html", context)


@project_view("training.view")
@require_POST
def calendar_regenerate(request, project):
    had = CalendarToken.objects.filter(user=request.user).exists()
    services.calendar_token_regenerate(user=request.user)
    messages.success(request, _("New calendar link made: the old link no longer works.") if had
                     else _("Calendar link made. Subscribe to it in Outlook or WeCom."))
    return redirect("training:mine", project.pk)


@require_GET
def feed(request, token):
    """A person's calendar feed. No login: the secret token is the credential (calendar apps cannot log in)."""
    found = CalendarToken.objects.filter(token=token).select_related("user").first()
    if found is None or not found.user.is_active:
        raise Http404
    sessions = selectors.calendar_sessions(user=found.user)
    body = calendar.feed_ics(sessions, name=_("My training"), request=request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# ------------------------------------------------------------------------------------------ courses

@project_view("training.view")
@page_cache(areas=selectors.AREAS)
def course_list(request, project):
    can_edit = request.user.has_perm("training.manage_courses", project)
    form = CourseForm(request.POST or None, project=project) if can_edit else None
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                course = services.course_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Course added."))
                return redirect("training:course", project.pk, course.pk)
        else:
            status = 400
    context = _ctx(request, project, courses=selectors.courses(project=project), form=form, can_edit=can_edit,
                   tab="courses")
    return render(request, "training/courses.html", context, status=status)


@project_view("training.view")
def course_detail(request, project, course_id):
    course = selectors.course_get(project=project, pk=course_id)
    can_edit = request.user.has_perm("training.manage_courses", project)
    initial = {"title": course.title, "description": course.description, "duration_minutes": course.duration_minutes,
               "completion": course.completion,
               "required_roles": course.required_roles,
               "required_departments": [d.pk for d in course.required_departments.all()]}
    form = CourseForm(request.POST or None, initial=initial, project=project) if can_edit else None
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.course_update(actor=request.user, course=course,
                                       **{f: form.cleaned_data[f] for f in form.changed_data})
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Course saved."))
                return redirect("training:course", project.pk, course.pk)
        else:
            status = 400
    sessions = selectors.catalogue(project=project, user=request.user, course=course.pk, include_past=True)
    context = _ctx(request, project, course=course, form=form, can_edit=can_edit, sessions=sessions,
                   material_form=MaterialForm() if can_edit else None, history=_course_history(course),
                   modules=_course_modules(request, course), module_form=ModuleForm() if can_edit else None,
                   roles=[Role(r).label for r in course.required_roles], tab="courses", now=timezone.now())
    return render(request, "training/course.html", context, status=status)


def _course_history(course):
    """history_for, with the required departments shown by name instead of raw through-rows."""
    entries = history_for(course)
    label = str(Course._meta.get_field("required_departments").verbose_name)
    names = dict(Department.objects.filter(project_id=course.project_id).values_list("pk", "name"))

    def readable(rows):
        return ", ".join(names.get(r.get("department"), "?") for r in rows or [] if isinstance(r, dict)) or "—"

    for entry in entries:
        entry["changes"] = [(f, readable(old), readable(new)) if f == label else (f, old, new)
                            for f, old, new in entry["changes"]]
    return entries


@project_view("training.manage_courses")
@require_POST
def material_add(request, project, course_id):
    course = selectors.course_get(project=project, pk=course_id)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.material_add(actor=request.user, course=course, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Material added."))
    else:
        messages.error(request, _("Give the material a title."))
    return redirect("training:course", project.pk, course.pk)


@project_view("training.manage_courses")
@require_POST
def material_delete(request, project, course_id, material_id):
    course = selectors.course_get(project=project, pk=course_id)
    material = get_object_or_404(CourseMaterial, pk=material_id, course=course)
    services.material_delete(actor=request.user, material=material)
    if fragment_wanted(request):
        course = selectors.course_get(project=project, pk=course.pk)  # materials prefetched afresh
        context = {"project": project, "course": course, "can_edit": True, "material_form": MaterialForm()}
        return render(request, "training/course.html#materials", context)
    messages.success(request, _("Material deleted."))
    return redirect("training:course", project.pk, course.pk)


@project_view("training.view")
def material_download(request, project, material_id):
    material = get_object_or_404(CourseMaterial.objects.select_related("course"), pk=material_id,
                                 course__project=project)
    if material.link:
        if not external_link_ok(material.link):  # stored before links were checked: never follow it
            raise Http404
        return redirect(material.link)
    return protected_file_response(material.file, filename=material.file.name.rsplit("/", 1)[-1])


# ------------------------------------------------------------------------------------------ online modules

def _course_modules(request, course):
    modules = list(selectors.module_list_for_user(user=request.user).filter(course=course))
    progress = selectors.my_progress(user=request.user, modules=modules)
    for module in modules:
        module.my_progress = progress.get(module.pk)
    return modules


@project_view("training.manage_courses")
@require_POST
def module_add(request, project, course_id):
    course = selectors.course_get(project=project, pk=course_id)
    form = ModuleForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            module = services.module_create(actor=request.user, course=course, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Module added. Add quiz questions on its page if it needs a quiz."))
            return redirect("training:module", project.pk, course.pk, module.pk)
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                                          for f, e in form.errors.items()))
    return redirect("training:course", project.pk, course.pk)


def _module_context(request, project, module, **extra):
    can_edit = request.user.has_perm("training.manage_courses", project)
    progress = selectors.my_progress(user=request.user, modules=[module]).get(module.pk)
    return _ctx(request, project, module=module, course=module.course, progress=progress, can_edit=can_edit,
                questions=selectors.quiz_questions(module=module), tab="mine",
                question_form=QuestionForm() if can_edit else None,
                history=history_for(module) if can_edit else None, **extra)


@project_view("training.view")
def module_detail(request, project, course_id, module_id):
    """The learner's page: watch or read, take the quiz, mark it done. Opening it starts the module."""
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project, course=course_id)
    services.module_open(user=request.user, module=module)
    return render(request, "training/module.html", _module_context(request, project, module))


@project_view("training.view")
@require_POST
def module_quiz(request, project, course_id, module_id):
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project, course=course_id)
    questions = selectors.quiz_questions(module=module)
    answers, status, result, error = [], 200, None, None
    for q in questions:
        raw = request.POST.get(f"q{q.pk}", "")
        answers.append(int(raw) if raw.isdigit() else None)
    try:
        if None in answers:
            raise DomainError(_("Answer every question before submitting."), field="answers")
        result = services.quiz_submit(user=request.user, module=module, answers=answers)
    except DomainError as exc:
        error, status = str(exc.message), 400
    context = _module_context(request, project, module, result=result, quiz_error=error,
                              answered={q.pk: a for q, a in zip(questions, answers, strict=True)})
    if fragment_wanted(request):
        response = render(request, "training/module.html#learner", context, status=status)
        return trigger_client_event(response, "training-changed")
    return render(request, "training/module.html", context, status=status)


@project_view("training.view")
@require_POST
def module_complete(request, project, course_id, module_id):
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project, course=course_id)
    try:
        services.module_complete(user=request.user, module=module)
    except DomainError as exc:
        if fragment_wanted(request):
            return render(request, "training/module.html#learner",
                          _module_context(request, project, module, quiz_error=str(exc.message)), status=400)
        messages.error(request, str(exc.message))
        return redirect("training:module", project.pk, module.course_id, module.pk)
    if fragment_wanted(request):
        return trigger_client_event(render(request, "training/module.html#learner",
                                           _module_context(request, project, module)), "training-changed")
    messages.success(request, _("Module done."))
    return redirect("training:mine", project.pk)


@project_view("training.view")
def module_file(request, project, module_id):
    """The module's video or manual, only to members. Videos play in the page; manuals download."""
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project)
    if not module.file:
        raise Http404
    video = module.kind == ModuleKind.VIDEO
    return protected_file_response(module.file, filename=module.file.name.rsplit("/", 1)[-1], inline=video,
                                   content_type="video/mp4" if video else None)


@project_view("training.manage_courses")
@require_POST
def module_delete(request, project, course_id, module_id):
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project, course=course_id)
    services.module_delete(actor=request.user, module=module)
    messages.success(request, _("Module deleted."))
    return redirect("training:course", project.pk, course_id)


@project_view("training.manage_courses")
@require_POST
def question_add(request, project, course_id, module_id):
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project, course=course_id)
    form = QuestionForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.question_add(actor=request.user, module=module, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
            status = 400
        else:
            form = QuestionForm()
    else:
        status = 400
    context = _module_context(request, project, module)
    context["question_form"] = form
    template = "training/module.html#author" if fragment_wanted(request) else "training/module.html"
    return render(request, template, context, status=status)


@project_view("training.manage_courses")
@require_POST
def question_delete(request, project, course_id, module_id, question_id):
    module = selectors.module_get_for_user(user=request.user, pk=module_id, project=project, course=course_id)
    question = get_object_or_404(Question, pk=question_id, module=module)
    services.question_delete(actor=request.user, question=question)
    if fragment_wanted(request):
        return render(request, "training/module.html#author", _module_context(request, project, module))
    return redirect("training:module", project.pk, course_id, module.pk)


# ------------------------------------------------------------------------------------------ sessions

def _session_form_changes(form, session):
    data = dict(form.cleaned_data)
    if not data.get("trainer"):
        data.pop("trainer")
    if not data.get("signup_deadline"):
        data.pop("signup_deadline")
    if session is None:
        return data
    return {k: v for k, v in data.items() if getattr(session, k) != v}


@project_view("training.manage_sessions")
def session_create(request, project):
    initial = {"course": request.GET.get("course"), "capacity": 20, "mode": Mode.OFFLINE}
    form = SessionForm(request.POST or None, initial=initial, project=project)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = services.session_create(actor=request.user, **_session_form_changes(form, None))
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Session scheduled."))
                return redirect("training:session", project.pk, session.pk)
        else:
            status = 400
    return render(request, "training/session_form.html", _ctx(request, project, form=form, tab="catalogue"),
                  status=status)


@project_view("training.view")
def session_edit(request, project, session_id):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    require(request.user, "training.run_session", session)
    initial = {f: getattr(session, f) for f in ["course", "trainer", "mode", "location", "starts_at", "ends_at",
                                                "capacity", "signup_deadline"]}
    initial = {k: timezone.localtime(v) if hasattr(v, "tzinfo") and v.tzinfo else v for k, v in initial.items()}
    form = SessionForm(request.POST or None, initial=initial, project=project)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.session_update(actor=request.user, session=session, **_session_form_changes(form, session))
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Session saved."))
                return redirect("training:session", project.pk, session.pk)
        else:
            status = 400
    return render(request, "training/session_form.html",
                  _ctx(request, project, form=form, session=session, history=history_for(session), tab="catalogue"),
                  status=status)


@project_view("training.view")
@page_cache(areas=selectors.AREAS)
def session_detail(request, project, session_id):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    runs = request.user.has_perm("training.run_session", session)
    now = timezone.now()
    context = _ctx(request, project, s=session, runs=runs, now=now, started=now >= session.starts_at,
                   roster=selectors.roster(session=session) if runs else None,
                   enrol_form=EnrolOtherForm(project=project) if runs else None, tab="catalogue",
                   attendance_choices=[EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT])
    return render_page(request, "training/session.html", context, partial="roster")


@project_view("training.view")
@require_POST
def attendance(request, project, session_id):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    require(request.user, "training.run_session", session)
    marks = {}
    for key, value in request.POST.items():
        if key.startswith("att-") and value:
            try:
                marks[int(key[4:])] = value
            except ValueError:
                continue
    try:
        changed = services.attendance_record(actor=request.user, session=session, marks=marks)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Attendance saved for %(n)d people.") % {"n": len(changed)})
    if fragment_wanted(request):
        session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
        now = timezone.now()
        context = _ctx(request, project, s=session, runs=True, now=now, started=now >= session.starts_at,
                       roster=selectors.roster(session=session),
                       attendance_choices=[EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT])
        return render(request, "training/session.html#roster", context)
    return redirect("training:session", project.pk, session.pk)


@project_view("training.view")
def session_ics(request, project, session_id):
    session = selectors.session_get_for_user(user=request.user, pk=session_id, project=project)
    response = HttpResponse(calendar.session_ics(session, request), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="training-{session.pk}.ics"'
    return response


# ------------------------------------------------------------------------------------------ coverage

COVERAGE_PAGE_SIZE = 50


@project_view("training.view_coverage")
@page_cache(areas=selectors.AREAS)
def coverage(request, project):
    report = selectors.coverage_summary(project=project)
    target = criterion_settings(project, "training_coverage")["target"]
    page = Paginator(report["untrained"], COVERAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _ctx(request, project, report=report, target=target, tab="coverage", page=page,
                   untrained=selectors.untrained_rows(report, page.object_list))
    return render_page(request, "training/coverage.html", context, partial="untrained")


@project_view("training.view_coverage")
def coverage_export(request, project, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    report = selectors.coverage_report(project=project)
    selectors.with_people(report["people"])
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = HttpResponse(exports.coverage_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.coverage_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="training-coverage-{project.code}-{stamp}.{fmt}"'
    return response


@project_view("training.view_coverage")
@require_POST
def coverage_remind(request, project):
    report = selectors.coverage_report(project=project)
    wanted = set(request.POST.getlist("user"))
    chosen = [p for p in report["untrained"] if not wanted or str(p["user_id"]) in wanted]
    people = [p["user"] for p in selectors.with_people(chosen)]
    if not people:
        messages.error(request, _("Nobody to remind: everyone chosen is already trained."))
        return redirect("training:coverage", project.pk)
    sent = services.untrained_remind(actor=request.user, project=project, users=people)
    if sent:
        messages.success(request, _("Reminder sent to %(n)d people.") % {"n": sent})
    else:
        messages.warning(request, _("Already reminded today: nobody was told twice."))
    return redirect("training:coverage", project.pk)


# ------------------------------------------------------------------------------------------ change impact

@project_view("training.view")
def impacts(request, project):
    """What the new system changes for each department and role, with the training coverage of those staff."""
    can_edit = request.user.has_perm("training.manage_impacts", project)
    form = ChangeImpactForm(request.POST or None, project=project) if can_edit else None
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.change_impact_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Change impact recorded."))
                if not fragment_wanted(request):
                    return redirect("training:impacts", project.pk)
                form = ChangeImpactForm(project=project)
        else:
            status = 400
    level = request.GET.get("impact") if request.GET.get("impact") in ImpactLevel.values else None
    context = _ctx(request, project, items=selectors.change_impacts(project=project, level=level), form=form,
                   can_edit=can_edit, level=level, levels=ImpactLevel.choices, tab="impacts")
    response = render_page(request, "training/impacts.html", context, partial="table")
    response.status_code = status
    return response


@project_view("training.manage_impacts")
@require_POST
def impact_delete(request, project, impact_id):
    item = get_object_or_404(ChangeImpact, pk=impact_id, project=project)
    services.change_impact_delete(actor=request.user, item=item)
    messages.success(request, _("Change impact removed."))
    return redirect("training:impacts", project.pk)
