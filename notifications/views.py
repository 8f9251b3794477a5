"""Pages of the notifications app: the inbox, the bell badge, preferences, reminder settings, and a
project's alerts, escalation policies and chat channels."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from projects.api_base import require
from projects.audit import history_for
from projects.errors import DomainError
from projects.safety import local_path
from projects.selectors import on_call, project_get_for_user
from projects.views_base import form_error, fragment_wanted, project_view, render_page

from . import selectors, services
from .forms import AlertForm, ChannelForm, InboxFilterForm, PolicyForm, PreferenceForm, ReminderSettingForm
from .models import AlertStatus, Channel, ChannelMessageStatus, EscalationPolicy

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
    if fragment_wanted(request):
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
    if fragment_wanted(request):
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


# ------------------------------------------------------------------------------------------ alerts

ALERTS_CHANGED = "alerts-changed"


def _alerts_context(request, project, **extra):
    status = request.GET.get("status") or ""
    if status not in AlertStatus.values:
        status = ""
    page = Paginator(selectors.alerts_for_project(project=project, status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page"))
    can_trigger = request.user.has_perm("notifications.trigger_alert", project)
    policies = selectors.policies_for_project(project=project) if can_trigger else []
    return {"section": "alerts", "tab": "alerts", "page": page, "alerts": page.object_list, "status": status,
            "statuses": AlertStatus.choices, "can_trigger": can_trigger,
            "form": extra.pop("form", None) or (AlertForm(policies=policies) if can_trigger else None),
            "duty": on_call(project=project), **extra}


@project_view("notifications.view_alerts")
def alerts(request, project):
    status = 200
    form = None
    if request.method == "POST":
        require(request.user, "notifications.trigger_alert", project)
        policies = selectors.policies_for_project(project=project)
        form = AlertForm(request.POST, policies=policies)
        if form.is_valid():
            data = form.cleaned_data
            policy = next((p for p in policies if str(p.pk) == data["policy"]), None)
            try:
                alert, created = services.alert_trigger(actor=request.user, project=project, title=data["title"],
                                                        severity=data["severity"], source=data["source"],
                                                        policy=policy)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Alert raised: step 1 of its escalation was notified.") if created
                                 else _("This alert is open already; nobody was told twice."))
                return redirect("notifications:alert", project.pk, alert.pk)
        status = 400
    response = render_page(request, "notifications/alerts.html", _alerts_context(request, project, form=form),
                           partial="list")
    response.status_code = status
    return response


def _alert_context(request, project, alert, **extra):
    people = selectors.people_named_in([alert.steps])
    steps = [{"number": i, "wait": s["wait_minutes"], "target": selectors.target_label(s["target"], people),
              "done": i <= alert.level} for i, s in enumerate(alert.steps, start=1)]
    return {"section": "alerts", "tab": "alerts", "alert": alert, "steps": steps,
            "can_respond": request.user.has_perm("notifications.respond_alert", alert),
            "history": history_for(alert, limit=10), **extra}


@project_view("notifications.view_alerts")
def alert_detail(request, project, alert_id):
    alert = selectors.alert_get_for_user(user=request.user, pk=alert_id)
    if alert.project_id != project.pk:
        raise Http404
    return render_page(request, "notifications/alert.html", _alert_context(request, project, alert), partial="card")


@project_view("notifications.view_alerts")
@require_POST
def alert_action(request, project, alert_id, verb):
    alert = selectors.alert_get_for_user(user=request.user, pk=alert_id)
    if alert.project_id != project.pk or verb not in ("ack", "resolve"):
        raise Http404
    require(request.user, "notifications.respond_alert", alert)
    error = None
    try:
        if verb == "ack":
            services.alert_acknowledge(actor=request.user, alert=alert)
        else:
            services.alert_resolve(actor=request.user, alert=alert, note=request.POST.get("note", "")[:300])
    except DomainError as exc:
        error = str(exc.message)
    if fragment_wanted(request):
        alert = selectors.alert_get_for_user(user=request.user, pk=alert.pk)
        response = render_page(request, "notifications/alert.html",
                               _alert_context(request, project, alert, action_error=error), partial="card")
        return trigger_client_event(response, ALERTS_CHANGED)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Acknowledged: the escalation stops.") if verb == "ack" else _("Alert resolved."))
    return redirect("notifications:alert", project.pk, alert.pk)


# ------------------------------------------------------------------------------------------ escalation policies

def _policy_rows(project, policies):
    policies = list(policies)
    people = selectors.people_named_in([p.steps for p in policies])
    return [{"policy": p, "steps": [{"wait": s["wait_minutes"], "target": selectors.target_label(s["target"], people)}
                                    for s in p.steps]} for p in policies]


@project_view("notifications.manage_escalation")
def policies(request, project):
    targets = selectors.target_choices(project=project)
    form = PolicyForm(request.POST or None, targets=targets, project=project)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.policy_create(actor=request.user, project=project, name=form.cleaned_data["name"],
                                       steps=form.steps())
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Escalation policy saved."))
                return redirect("notifications:policies", project.pk)
        status = 400
    return render(request, "notifications/policies.html", {
        "section": "alerts", "tab": "policies", "form": form,
        "rows": _policy_rows(project, selectors.policies_for_project(project=project))}, status=status)


@project_view("notifications.manage_escalation")
def policy_detail(request, project, policy_id):
    policy = get_object_or_404(EscalationPolicy, pk=policy_id, project=project)
    targets = selectors.target_choices(project=project)
    form = PolicyForm(request.POST or None, targets=targets, project=project,
                      initial=PolicyForm.initial_for(policy))
    status = 200
    if request.method == "POST":
        if request.POST.get("delete"):
            services.policy_delete(actor=request.user, policy=policy)
            messages.success(request, _("Escalation policy deleted. Alerts under way keep their steps."))
            return redirect("notifications:policies", project.pk)
        if form.is_valid():
            try:
                services.policy_update(actor=request.user, policy=policy, name=form.cleaned_data["name"],
                                       steps=form.steps())
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Escalation policy saved. Alerts under way keep the steps they started "
                                            "with."))
                return redirect("notifications:policies", project.pk)
        status = 400
    return render(request, "notifications/policy.html", {
        "section": "alerts", "tab": "policies", "policy": policy, "form": form,
        "history": history_for(policy, limit=10)}, status=status)


# ------------------------------------------------------------------------------------------ chat channels

def _channel_kinds():
    return sorted(((k, selectors.kind_label(k)) for k in services.known_kinds()), key=lambda c: str(c[1]))


@project_view("notifications.manage_channels")
def channels(request, project):
    form = ChannelForm(request.POST or None, kinds=_channel_kinds(), initial={"language": settings.LANGUAGE_CODE,
                                                                              "active": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                channel = services.channel_create(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Channel added. Send a test message to check it."))
                return redirect("notifications:channel", project.pk, channel.pk)
        status = 400
    return render(request, "notifications/channels.html", {
        "section": "alerts", "tab": "channels", "form": form,
        "channels": selectors.channels_for_project(project=project)}, status=status)


@project_view("notifications.manage_channels")
def channel_detail(request, project, channel_id):
    channel = get_object_or_404(Channel, pk=channel_id, project=project)
    initial = {"name": channel.name, "kind": channel.kind, "url": channel.url, "language": channel.language,
               "events": channel.events, "active": channel.active}
    form = ChannelForm(request.POST or None, kinds=_channel_kinds(), initial=initial)
    form.fields["secret"].required = False
    status = 200
    if request.method == "POST":
        if request.POST.get("delete"):
            services.channel_delete(actor=request.user, channel=channel)
            messages.success(request, _("Channel deleted."))
            return redirect("notifications:channels", project.pk)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data["secret"]:
                data.pop("secret")  # write-only: empty keeps the current secret
            try:
                services.channel_update(actor=request.user, channel=channel, **data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Channel saved."))
                return redirect("notifications:channel", project.pk, channel.pk)
        status = 400
    return render(request, "notifications/channel.html", {
        "section": "alerts", "tab": "channels", "channel": channel, "form": form,
        "activity": selectors.channel_activity(channel=channel), "history": history_for(channel, limit=10)},
        status=status)


@project_view("notifications.manage_channels")
@require_POST
def channel_test(request, project, channel_id):
    channel = get_object_or_404(Channel.objects.select_related("project"), pk=channel_id, project=project)
    message, report = services.channel_test(actor=request.user, channel=channel)
    if message.status == ChannelMessageStatus.SENT:
        messages.success(request, _("The platform accepted the test message."))
    elif report.wait_until:
        messages.warning(request, _("The rate limit is reached; the test message goes out at %(t)s.")
                         % {"t": timezone.localtime(report.wait_until).strftime("%H:%M:%S")})
    else:
        messages.error(request, _("The platform did not accept the test message: %(e)s") % {"e": message.error or "—"})
    return redirect("notifications:channel", project.pk, channel.pk)
