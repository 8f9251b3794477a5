"""Pages of the projects app: my projects, project home, roster, RACI, rota, readiness."""

import csv
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from . import hooks, mywork, pickers, selectors, services
from .audit import audit_rows, history_for
from .calendar import my_shift_events, render_ics
from .errors import DomainError
from .forms import (
    DepartmentForm,
    MembershipEditForm,
    MembershipForm,
    MilestoneForm,
    ProjectCloneForm,
    ProjectForm,
    RaciAreaForm,
    RaciCellForm,
    RosterFilterForm,
    ShiftForm,
)
from .models import FeedToken, Membership, Milestone, OnCallShift, Raci, Responsibility, Role
from .pagecache import page_cache
from .views_base import form_error, fragment_wanted, project_view, render_page

User = get_user_model()


@login_required
def project_list(request):
    projects = list(selectors.project_list_for_user(user=request.user))
    now = timezone.now()
    for p in projects:
        p.days_to_go = (p.go_live_at - now).days
    return render(request, "projects/list.html", {"projects": projects,
                                                  "can_create": request.user.has_perm("projects.create")})


@login_required
def project_create(request):
    if not request.user.has_perm("projects.create"):
        raise PermissionDenied
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Project created. You are its manager."))
            return redirect("projects:home", project.pk)
    return render(request, "projects/form.html", {"form": form, "creating": True})


# What the home's "My work" suggests when nothing is waiting: (URL name, label, rule or None), the first
# few a person may open. URL names, not imports: `projects` knows no other app (a missing one is skipped).
NEXT_STEPS = [
    ("defects:file", gettext_lazy("File a defect found in testing"), "defects.file_testing"),
    ("defects:cycles", gettext_lazy("Record results in a test cycle"), "defects.manage_tests"),
    ("requirements:create", gettext_lazy("Write down a requirement of your department"), "requirements.write"),
    ("defects:board", gettext_lazy("See the defect board"), "defects.work"),
    ("tasks:runbooks", gettext_lazy("Prepare the cutover runbooks"), "tasks.edit"),
    ("training:session_create", gettext_lazy("Plan a training session"), "training.manage_sessions"),
    ("training:catalogue", gettext_lazy("Browse the training catalogue and sign up for a session"), None),
    ("training:mine", gettext_lazy("See your training record"), None),
    ("projects:rota", gettext_lazy("Check the on-call rota"), None),
]
HOME_TABS = ("work", "dashboard")


def _next_steps(user, project, limit=4):
    steps = []
    for name, label, rule in NEXT_STEPS:
        if rule and not user.has_perm(rule, project):
            continue
        try:
            steps.append({"url": reverse(name, args=[project.pk]), "label": label})
        except NoReverseMatch:
            continue
        if len(steps) == limit:
            break
    return steps


# How many of a person's open items the home lists before "Show all" (the most urgent first).
HOME_WORK_ITEMS = 12


@project_view()
@page_cache()
def project_home(request, project):
    """Each person's own open work first ("my work"); the project dashboard (the home panels other apps
    add, e.g. readiness) below it for managers, one click away (`?tab=dashboard`) for everyone."""
    tab = request.GET.get("tab") if request.GET.get("tab") in HOME_TABS else None
    manages = request.user.has_perm("projects.manage", project)
    show_work = tab != "dashboard"
    show_dashboard = tab == "dashboard" or (tab is None and manages)
    timeline = selectors.milestone_timeline(project=project)
    now = timezone.now()
    context = {
        "timeline": timeline,
        "days_to_go": (project.go_live_at - now).days,
        "hours_to_go": int((project.go_live_at - now).total_seconds() // 3600),
        "milestone_form": MilestoneForm(project=project) if manages else None,
        "people_count": selectors.member_count(project=project),
        "gaps": selectors.rota_gaps(project=project),
        "section": "home",
        "tab": tab or "work",
        "show_work": show_work,
        "show_dashboard": show_dashboard,
        "has_dashboard": hooks.has_home_panels(),
        "panel_css": hooks.home_panel_css(),
    }
    if show_work:
        kind = request.GET.get("kind")
        # The most urgent HOME_WORK_ITEMS first (a manager may have dozens), all of one kind or on request.
        limit = None if kind or request.GET.get("all") else HOME_WORK_ITEMS
        context["work"] = mywork.for_page(request.user, project, now=now, kind=kind, limit=limit)
        if not context["work"]["count"]:
            context["next_steps"] = _next_steps(request.user, project)
        if tab == "work" and fragment_wanted(request):
            return render(request, "projects/home.html#mywork", context)
    if show_dashboard and not fragment_wanted(request):  # the milestones partial needs no panels
        panels = hooks.home_panels(request, project)
        for panel in panels:
            context.update(panel["context"])
        context["home_panels"] = panels
    return render_page(request, "projects/home.html", context, partial="milestones")


@project_view("projects.manage")
def project_edit(request, project):
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            services.project_update(actor=request.user, project=project, **changes)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Project saved."))
            return redirect("projects:home", project.pk)
    return render(request, "projects/form.html", {"form": form, "history": history_for(project), "section": "home",
                                                  "can_clone": request.user.has_perm("projects.clone", project)})


@project_view("projects.clone")
def project_clone(request, project):
    """New project from this one: the form, and what will (and will not) be copied."""
    form = ProjectCloneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.project_clone(source=project, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Project created from “%(name)s”. You are its manager: add the team.")
                             % {"name": project.name})
            return redirect("projects:home", new.pk)
    parts = [{"label": part.label, "count": part.count(project)} for part in hooks.clone_parts()]
    return render(request, "projects/clone.html", {"form": form, "parts": parts, "section": "home"})


@login_required
def portfolio(request):
    """Every launch of the person side by side, and who is booked in two of them at once."""
    context = selectors.portfolio(user=request.user)
    return render_page(request, "projects/portfolio.html", context, partial="board")


@project_view("projects.manage")
@require_POST
def milestone_add(request, project):
    form = MilestoneForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.milestone_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            form = MilestoneForm(project=project)
    context = {"timeline": selectors.milestone_timeline(project=project), "milestone_form": form}
    return render(request, "projects/home.html#milestones", context)


@project_view()
def milestone_detail(request, project, milestone_id):
    milestone = get_object_or_404(Milestone.objects.select_related("owner"), pk=milestone_id, project=project)
    can_manage = request.user.has_perm("projects.manage", project)
    form = MilestoneForm(request.POST or None, instance=milestone, project=project) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.milestone_update(actor=request.user, milestone=milestone,
                                          **{f: form.cleaned_data[f] for f in form.changed_data})
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Milestone saved."))
                return redirect("projects:home", project.pk)
    return render(request, "projects/milestone.html",
                  {"milestone": milestone, "form": form, "history": history_for(milestone), "section": "home"})


ROSTER_PAGE_SIZE = 50


def _roster_context(request, project, add_form=None):
    filters = RosterFilterForm(request.GET or None)
    f = filters.cleaned_data if filters.is_valid() else {}
    see_contacts = request.user.has_perm("projects.see_contacts", project)
    memberships = selectors.roster(project=project, role=f.get("role"), department=f.get("department"), q=f.get("q"),
                                   contacts=see_contacts)
    page = Paginator(memberships, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = request.user.has_perm("projects.manage", project)
    return {
        "see_contacts": see_contacts,
        "memberships": page.object_list,
        "page": page,
        "filters": filters,
        "departments": project.departments.all(),
        "roles": Role.choices,
        "can_manage": can_manage,
        "add_form": (add_form or MembershipForm(project=project)) if can_manage else None,
        "department_form": DepartmentForm() if can_manage else None,
        "section": "team",
    }


@project_view()
@page_cache(areas=("projects",))
def roster(request, project):
    return render_page(request, "projects/roster.html", _roster_context(request, project), partial="table")


@project_view("projects.manage")
@require_POST
def member_add(request, project):
    form = MembershipForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.membership_add(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("projects:roster", project.pk)
    return render(request, "projects/roster.html", _roster_context(request, project, add_form=form), status=400)


@project_view()
def member_detail(request, project, membership_id):
    membership = get_object_or_404(Membership.objects.select_related("user", "department"), pk=membership_id,
                                   project=project)
    can_manage = request.user.has_perm("projects.manage", project)
    initial = {"role": membership.role, "department": membership.department_id, "job_title": membership.job_title,
               "phone": membership.phone}
    form = MembershipEditForm(request.POST or None, initial=initial, project=project) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.membership_update(actor=request.user, membership=membership,
                                           **{f: form.cleaned_data[f] for f in form.changed_data})
            except DomainError as exc:
                form_error(form, exc)
            else:
                if fragment_wanted(request):
                    response = render(request, "projects/roster.html#row", {"m": membership, "can_manage": True,
                                                                           "see_contacts": True, "project": project})
                    return trigger_client_event(response, "roster-changed")
                messages.success(request, _("Member saved."))
                return redirect("projects:roster", project.pk)
    if fragment_wanted(request) and request.GET.get("edit"):
        return render(request, "projects/roster.html#edit-row", {"m": membership, "form": form, "project": project})
    see_contacts = request.user.has_perm("projects.see_contacts", project)
    if fragment_wanted(request) and request.GET.get("row"):
        return render(request, "projects/roster.html#row", {"m": membership, "can_manage": can_manage,
                                                             "see_contacts": see_contacts, "project": project})
    # Contacts (and the history, which would show them) for managers, ops and the person.
    own = see_contacts or membership.user_id == request.user.pk
    return render(request, "projects/member.html", {"membership": membership, "form": form, "see_contacts": own,
                                                   "history": history_for(membership) if own else None,
                                                   "section": "team"})


@project_view("projects.manage")
@require_POST
def member_remove(request, project, membership_id):
    membership = get_object_or_404(Membership, pk=membership_id, project=project)
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        if fragment_wanted(request):
            return HttpResponse(str(exc.message), status=400)
    else:
        messages.success(request, _("Member removed."))
        if fragment_wanted(request):
            return HttpResponse("")
    return redirect("projects:roster", project.pk)


@project_view("projects.manage")
@require_POST
def department_add(request, project):
    form = DepartmentForm(request.POST)
    if form.is_valid():
        try:
            services.department_create(actor=request.user, project=project, name=form.cleaned_data["name"])
            messages.success(request, _("Department added."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Give the department a name."))
    return redirect("projects:roster", project.pk)


@project_view()
@page_cache(areas=("projects",))
def raci(request, project):
    grid = selectors.raci_grid(project=project, page=request.GET.get("page"), q=request.GET.get("q"))
    can_manage = request.user.has_perm("projects.manage", project)
    history = (
        Responsibility.history.filter(project_id=project.pk)
        .select_related("history_user", "user")
        .order_by("-history_date")[:20]
    )
    # ?area=&user= (the no-JavaScript path of a grid cell) pre-fills the "set a responsibility" form.
    initial = {k: request.GET[k] for k in ("area", "user") if request.GET.get(k)}
    context = {"grid": grid, "can_manage": can_manage, "letters": Raci.choices, "section": "team",
               "area_form": RaciAreaForm(project=project, initial=initial) if can_manage else None,
               "history": history}
    return render_page(request, "projects/raci.html", context, partial="grid")


@project_view("projects.manage")
def raci_cell(request, project):
    """The editor for one grid cell (htmx), loaded on click."""
    area = (request.GET.get("area") or "").strip()
    user_id = request.GET.get("user", "")
    person = (User.objects.filter(pk=int(user_id), memberships__project=project).first()
              if user_id.isdigit() else None)
    if not area or person is None:
        return HttpResponse(_("Name the work area, choose a person and a letter."), status=400)
    cell = Responsibility.objects.filter(project=project, area=area, user=person).first()
    context = {"area": area, "person": person, "letter": cell.raci if cell else "", "letters": Raci.choices,
               "project": project, "page": request.GET.get("page", ""), "q": request.GET.get("q", "")}
    return render(request, "projects/raci.html#cell-edit", context)


@project_view("projects.manage")
@require_POST
def raci_set(request, project):
    form = RaciCellForm(request.POST)
    error = None
    if form.is_valid():
        user = User.objects.filter(pk=form.cleaned_data["user"]).first()
        try:
            services.responsibility_set(actor=request.user, project=project, area=form.cleaned_data["area"],
                                        user=user, raci=form.cleaned_data["raci"])
        except DomainError as exc:
            error = str(exc.message)
    else:
        error = _("Choose R, A, C or I.")
    if error:
        if fragment_wanted(request):
            return HttpResponse(error, status=400)
        messages.error(request, error)
    if fragment_wanted(request):
        page = request.POST.get("page") or request.GET.get("page")
        context = {"grid": selectors.raci_grid(project=project, page=page, q=request.POST.get("q")),
                   "can_manage": True, "letters": Raci.choices, "project": project}
        return render(request, "projects/raci.html#grid", context)
    return redirect("projects:raci", project.pk)


@project_view("projects.manage")
@require_POST
def raci_area_add(request, project):
    form = RaciAreaForm(request.POST, project=project)
    if form.is_valid():
        try:
            services.responsibility_set(actor=request.user, project=project, area=form.cleaned_data["area"],
                                        user=form.cleaned_data["user"], raci=form.cleaned_data["raci"])
            messages.success(request, _("Responsibility saved."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Name the work area, choose a person and a letter."))
    return redirect("projects:raci", project.pk)


def _week_start(value):
    try:
        d = date.fromisoformat(value) if value else None
    except ValueError:
        d = None
    return d


@project_view()
@page_cache(areas=("projects",))
def rota(request, project):
    start = _week_start(request.GET.get("week"))
    if start is None:
        today = timezone.localdate()
        anchor = project.window_start.astimezone(timezone.get_current_timezone()).date()
        start = anchor if today < anchor else today
    start = start - timedelta(days=start.weekday())
    can_edit = request.user.has_perm("projects.manage_rota", project)
    form = ShiftForm(request.POST or None, project=project) if can_edit else None
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.shift_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
                status = 400
            else:
                messages.success(request, _("Shift added."))
                return redirect(f"{request.path}?week={start.isoformat()}")
        else:
            status = 400
    week = selectors.rota_week(project=project, week_start=start)
    history = (OnCallShift.history.filter(project_id=project.pk).select_related("history_user", "user")
               .order_by("-history_date")[:15])
    context = {"week": week, "week_start": start, "prev_week": start - timedelta(days=7),
               "next_week": start + timedelta(days=7), "form": form, "can_edit": can_edit, "section": "team",
               "history": history, "hours": range(0, 24, 3)}
    response = render_page(request, "projects/rota.html", context, partial="week")
    response.status_code = status
    return response


@project_view("projects.manage_rota")
@require_POST
def shift_delete(request, project, shift_id):
    shift = get_object_or_404(OnCallShift, pk=shift_id, project=project)
    services.shift_delete(actor=request.user, shift=shift)
    messages.success(request, _("Shift removed."))
    week = _week_start(request.POST.get("week"))
    url = reverse("projects:rota", args=[project.pk])
    return redirect(f"{url}?week={week.isoformat()}" if week else url)


@project_view()
def people_lookup(request, project):
    """Suggestions for a member box (projects.pickers): <option>s of up to 15 members matching the text."""
    field = request.GET.get("field") or "q"
    roles = [r for r in (request.GET.get("roles") or "").split(",") if r in Role.values]
    users = pickers.search_members(project, request.GET.get(field) or request.GET.get("q"), roles=roles or None)
    return HttpResponse(pickers.suggestions_html(users, project))


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Database and broker reachable: 200; otherwise 503 naming what is down."""
    problems = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported below
        problems["database"] = str(exc)[:200]
    from .health import broker_ok

    ok, reason = broker_ok()
    if not ok:
        problems["broker"] = reason
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "broker": "ok"})


# ------------------------------------------------------------------------------------------ calendars

@project_view()
def calendars(request, project):
    """The person's calendar feed addresses: their own shifts and the project's feeds."""
    if request.method == "POST":
        had = FeedToken.objects.filter(user=request.user).exists()
        services.feed_token_regenerate(user=request.user)
        messages.success(request, _("New calendar addresses made: the old ones no longer work.") if had
                         else _("Calendar addresses made. Subscribe to them in Outlook or WeCom."))
        return redirect("projects:calendars", project.pk)
    token = FeedToken.objects.filter(user=request.user).first()
    feeds = []
    if token is not None:
        feeds.append({"label": _("My on-call shifts (every project)"),
                      "url": request.build_absolute_uri(reverse("projects:my_shifts_feed", args=[token.token]))})
        for feed in hooks.calendar_feeds(request.user, project):
            feeds.append({"label": feed.label, "url": request.build_absolute_uri(
                reverse("projects:project_feed", args=[token.token, project.pk, feed.key]))})
    return render_page(request, "projects/calendars.html", {
        "section": "team", "token": token, "feeds": feeds,
        "available": [f.label for f in hooks.calendar_feeds(request.user, project)]})


def _feed_owner(token):
    found = FeedToken.objects.filter(token=token).select_related("user").first()
    if found is None or not found.user.is_active:
        raise Http404
    return found.user


def _ics_response(body):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def my_shifts_feed(request, token):
    """No login: the secret token is the credential (calendar apps cannot log in)."""
    user = _feed_owner(token)
    return _ics_response(render_ics(my_shift_events(user), name=_("My on-call shifts"), request=request))


@require_GET
def project_feed(request, token, project_id, key):
    user = _feed_owner(token)
    project = selectors.project_get_for_user(user=user, pk=project_id)  # a former member's old link: 404
    feed = hooks.calendar_feed_get(key)
    if feed is None or not (feed.rule is None or user.has_perm(feed.rule, project)):
        raise Http404
    name = f"{project.code} · {feed.label}"
    return _ics_response(render_ics(feed.func(project, user), name=name, request=request))


# ----- the project-wide audit log (managers) -----------------------------------------------------

AUDIT_PAGE_SIZE = 50


def _audit_filters(request):
    return {key: request.GET.get(key, "") for key in selectors.AUDIT_FILTERS}


@project_view("projects.audit_view")
def audit_page(request, project):
    """Who changed what and when, across the project (htmx partial `log`), with filters and a CSV export."""
    filters = _audit_filters(request)
    page = Paginator(selectors.audit_log(project=project, filters=filters), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {"page": page, "entries": page.object_list, "filters": filters, "query": query,
               "models": selectors.audit_models(project=project), "section": "audit"}
    return render_page(request, "projects/audit.html", context, partial="log")


class _Echo:
    def write(self, value):
        return value


@project_view("projects.audit_view")
def audit_csv(request, project):
    """The filtered log as CSV for auditors, streamed (a year of changes is large), UTF-8 with BOM."""
    entries = selectors.audit_log(project=project, filters=_audit_filters(request)).iterator(chunk_size=2000)
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"
        for row in audit_rows(entries):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.code}-audit.csv"'
    return response
