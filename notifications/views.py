"""Pages of the notifications app: the inbox, the bell badge, preferences, reminder settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from projects.errors import DomainError
from projects.safety import local_path
from projects.selectors import project_get_for_user
from projects.views_base import form_error, project_view, render_page

from . import selectors, services
from .forms import InboxFilterForm, PreferenceForm, ReminderSettingForm

PAGE_SIZE = 25
CHANGED = "notifications-changed"  # htmx event: the bell and the inbox refresh on it


def _inbox_context(request):
    filters = InboxFilterForm(request.GET or None)
    f = filters.cleaned_data if filters.is_valid() else {}
    project = project_get_for_user(user=request.user, pk=f["project"]) if f.get("project") else None
    qs = selectors.inbox_for_user(user=request.user, project=project, kind=f.get("kind"), state=f.get("state"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(selectors.kind_choices(user=request.user))
    for n in page.object_list:
        n.kind_label = labels.get(n.kind, n.kind)
    return {"page": page, "notifications": page.object_list, "filters": filters, "filter_project": project,
            "unread": selectors.unread_count(user=request.user), "kinds": list(labels.items()),
            "projects": selectors.inbox_projects(user=request.user), "section": "inbox"}


@login_required
def inbox(request):
    context = _inbox_context(request)
    context["managed_projects"] = [p for p in context["projects"]
                                   if request.user.has_perm("notifications.manage_reminders", p)]
    return render_page(request, "notifications/inbox.html", context, partial="list")


@login_required
@require_POST
def mark_read(request, notification_id):
    notification = selectors.notification_get_for_user(user=request.user, pk=notification_id)
    services.notification_mark_read(actor=request.user, notification=notification)
    if request.htmx:
        notification.kind_label = selectors.kind_label(notification.kind)
        row = render_to_string("notifications/inbox.html#item", {"n": notification}, request=request)
        counts = render_to_string("notifications/inbox.html#counts",  # out-of-band: the list's unread count
                                  {"unread": selectors.unread_count(user=request.user), "oob": True}, request=request)
        return trigger_client_event(HttpResponse(row + counts), CHANGED)
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request):
    project = None
    if request.POST.get("project"):
        project = project_get_for_user(user=request.user, pk=request.POST["project"])
    count = services.notification_mark_all_read(actor=request.user, project=project)
    if request.htmx:
        response = render(request, "notifications/inbox.html#list", _inbox_context(request))
        return trigger_client_event(response, CHANGED)
    messages.success(request, _("%(n)d notification(s) marked read.") % {"n": count})
    return redirect(_back(request))


def _back(request):
    return local_path(request.POST.get("next"), default=reverse("notifications:inbox"))


@login_required
def open_notification(request, notification_id):
    """Follow a notification to its object, marking it read on the way."""
    notification = selectors.notification_get_for_user(user=request.user, pk=notification_id)
    services.notification_mark_read(actor=request.user, notification=notification)
    return redirect(local_path(notification.url, default=reverse("notifications:inbox")))


def badge(request):
    """The bell with the unread count; polled by htmx. Anonymous: 204 (nothing to swap)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(request, "notifications/_bell.html", {"unread": selectors.unread_count(user=request.user)})


@login_required
def preferences(request):
    pref = selectors.preference_for(user=request.user)
    kinds = selectors.kind_choices(user=request.user)
    initial = {"language": pref.language, "email_enabled": pref.email_enabled, "email_mode": pref.email_mode,
               "digest_hour": pref.digest_hour, "quiet_start": pref.quiet_start, "quiet_end": pref.quiet_end,
               "email_kinds": [k for k, _label in kinds if k not in (pref.muted_kinds or [])]}
    form = PreferenceForm(request.POST or None, initial=initial, kinds=kinds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            chosen = set(data.pop("email_kinds"))
            data["muted_kinds"] = [k for k, _label in kinds if k not in chosen]
            try:
                services.preference_update(actor=request.user, user=request.user, **data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Notification preferences saved."))
                return redirect("notifications:preferences")
        status = 400
    return render(request, "notifications/preferences.html", {"form": form, "section": "inbox"}, status=status)


@project_view("notifications.manage_reminders")
def reminder_settings(request, project):
    rows = selectors.reminder_settings(project=project)
    forms = []
    for row in rows:
        initial = {"kind": row["kind"], "enabled": row["enabled"], "lead_hours": row["lead_hours"]}
        form = ReminderSettingForm(request.POST or None, initial=initial, prefix=row["kind"])
        if row["default_lead"] is None:
            del form.fields["lead_hours"]
        else:
            form.fields["lead_hours"].widget.attrs["placeholder"] = row["default_lead_hours"]
        forms.append((row, form))
    status = 200
    if request.method == "POST":
        if all(form.is_valid() for _row, form in forms):
            current = None
            try:
                with transaction.atomic():  # one bad row saves nothing
                    for row, form in forms:
                        if form.cleaned_data.get("kind") != row["kind"]:
                            continue  # a row the page did not show (a rule registered since)
                        current = form
                        services.reminder_setting_set(actor=request.user, project=project, kind=row["kind"],
                                                      enabled=form.cleaned_data["enabled"],
                                                      lead_hours=form.cleaned_data.get("lead_hours"))
            except DomainError as exc:
                form_error(current, exc)
            else:
                messages.success(request, _("Reminder settings saved."))
                return redirect("notifications:reminder_settings", project.pk)
        status = 400
    return render(request, "notifications/reminder_settings.html", {"forms": forms, "section": "home"},
                  status=status)
