"""Read queries of the notifications app. A person only ever sees their own notifications."""

from django.db.models import Case, IntegerField, Value, When
from django.http import Http404

from projects.access import member_project_ids

from .models import Notification, NotificationPreference
from .registry import rules


def preference_for(*, user) -> NotificationPreference:
    """The person's preferences (an unsaved default when they never saved any)."""
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user)


def preferences_for(*, user_ids) -> dict:
    """{user id: preference} for many people in one query; defaults for those without a row."""
    found = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=list(user_ids))}
    return {uid: found.get(uid) or NotificationPreference(user_id=uid) for uid in user_ids}


def inbox_for_user(*, user, project=None, kind=None, state=None):
    """The person's notifications, unread first then newest, with their project loaded.

    Only notifications of projects the person still belongs to (or of no project) are shown.
    """
    if not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user).select_related("project")
    if project is not None:
        qs = qs.filter(project=project)
    if kind:
        qs = qs.filter(kind=kind)
    if state == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif state == "read":
        qs = qs.filter(read_at__isnull=False)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(unread_first, "-created_at", "-id")


def notification_get_for_user(*, user, pk) -> Notification:
    """The person's own notification; anyone else's is a 404 (never confirm it exists)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    notification = Notification.objects.filter(pk=pk, recipient=user).select_related("project").first() \
        if user.is_authenticated else None
    if notification is None:
        raise Http404
    return notification


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox_projects(*, user):
    """Projects the person belongs to, for the inbox filter."""
    from projects.models import Project

    return Project.objects.filter(pk__in=member_project_ids(user)).order_by("name")


def kind_label(kind):
    rule = rules().get(kind)
    if rule is not None:
        return rule.label
    from .registry import event_kinds

    return event_kinds().get(kind) or kind.replace("_", " ").capitalize()


def kind_choices(*, user=None):
    """Every kind a person may hear about: registered rules, instant events, and kinds they got."""
    from .registry import event_kinds

    kinds = set(rules()) | set(event_kinds())
    if user is not None and user.is_authenticated:
        kinds |= set(Notification.objects.filter(recipient=user).values_list("kind", flat=True).distinct())
    return sorted(((k, kind_label(k)) for k in kinds), key=lambda c: str(c[1]))


def reminder_settings(*, project):
    """One row per registered rule with the project's choice and the default lead."""
    existing = {s.kind: s for s in project.reminder_settings.all()}
    rows = []
    for kind, rule in sorted(rules().items(), key=lambda kv: str(kv[1].label)):
        setting = existing.get(kind)
        rows.append({
            "kind": kind, "label": rule.label, "default_lead": rule.default_lead,
            "default_lead_hours": int(rule.default_lead.total_seconds() // 3600) if rule.default_lead else None,
            "enabled": setting.enabled if setting else True,
            "lead_hours": setting.lead_hours if setting else None,
            "setting": setting,
        })
    return rows


# --- channels, escalation policies, alerts -----------------------------------------------------

def _managed_project_ids(user):
    from projects.models import Membership, Role

    return Membership.objects.filter(user=user, role=Role.MANAGER).values("project_id")


def _ops_project_ids(user):
    from projects.models import Membership, Role

    return Membership.objects.filter(user=user, role__in=[Role.MANAGER, Role.OPS]).values("project_id")


def _int(pk):
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404 from None


def channel_list_for_user(*, user):
    """Channels of the projects the person manages (their webhook addresses are for managers only)."""
    from .models import Channel

    if not user.is_authenticated:
        return Channel.objects.none()
    return Channel.objects.filter(project__in=_managed_project_ids(user)).select_related("project").order_by(
        "project_id", "name", "id")


def channel_get_for_user(*, user, pk):
    """A member of the channel's project gets it (the rule then says whether they may manage it); others 404."""
    from .models import Channel

    channel = Channel.objects.filter(pk=_int(pk), project__in=member_project_ids(user)).select_related(
        "project").first() if user.is_authenticated else None
    if channel is None:
        raise Http404
    return channel


def channels_for_project(*, project):
    from django.db.models import Count, Max, Q

    from .models import Channel, ChannelMessageStatus

    return list(Channel.objects.filter(project=project).annotate(
        pending=Count("messages", filter=Q(messages__status=ChannelMessageStatus.PENDING), distinct=True),
        failed=Count("messages", filter=Q(messages__status=ChannelMessageStatus.FAILED), distinct=True),
        last_send=Max("sends__at"),
    ).order_by("name", "id"))


def channel_activity(*, channel, limit=20):
    """The channel's latest messages and requests, for its page (two queries)."""
    return {"messages": list(channel.messages.select_related("send").order_by("-created_at", "-id")[:limit]),
            "sends": list(channel.sends.order_by("-at", "-id")[:limit])}


def policy_list_for_user(*, user):
    from .models import EscalationPolicy

    if not user.is_authenticated:
        return EscalationPolicy.objects.none()
    return EscalationPolicy.objects.filter(project__in=_ops_project_ids(user)).select_related("project").order_by(
        "project_id", "name", "id")


def policy_get_for_user(*, user, pk):
    from .models import EscalationPolicy

    policy = EscalationPolicy.objects.filter(pk=_int(pk), project__in=member_project_ids(user)).select_related(
        "project").first() if user.is_authenticated else None
    if policy is None:
        raise Http404
    return policy


def policies_for_project(*, project):
    return list(project.escalation_policies.order_by("name", "id"))


def alert_list_for_user(*, user):
    """Alerts of the person's projects, newest first, with what happened to them loaded."""
    from django.db.models import Prefetch

    from .models import Alert, AlertEvent

    if not user.is_authenticated:
        return Alert.objects.none()
    return (Alert.objects.filter(project__in=member_project_ids(user))
            .select_related("project", "policy", "triggered_by", "acknowledged_by", "resolved_by")
            .prefetch_related(Prefetch("events", queryset=AlertEvent.objects.select_related("user").order_by("at", "id")))
            .order_by("-triggered_at", "-id"))


def alert_get_for_user(*, user, pk):
    alert = alert_list_for_user(user=user).filter(pk=_int(pk)).first()
    if alert is None:
        raise Http404
    return alert


def alerts_for_project(*, project, status=None):
    from django.db.models import Prefetch

    from .models import Alert, AlertEvent

    qs = (Alert.objects.filter(project=project).select_related("policy", "acknowledged_by", "resolved_by")
          .prefetch_related(Prefetch("events", queryset=AlertEvent.objects.select_related("user").order_by("at", "id")))
          .order_by("-triggered_at", "-id"))
    if status:
        qs = qs.filter(status=status)
    return qs


def target_label(target, people=None):
    """How a person reads an escalation target: “On-call primary”, “Role: Project manager”, a name."""
    from django.utils.translation import gettext as _

    from projects.models import Role
    from projects.people import display_name

    from .registry import ON_CALL_BACKUP, ON_CALL_PRIMARY

    if target == ON_CALL_PRIMARY:
        return _("On-call primary")
    if target == ON_CALL_BACKUP:
        return _("On-call backup")
    kind, _sep, value = str(target).partition(":")
    if kind == "role":
        try:
            return _("Role: %(role)s") % {"role": Role(value).label}
        except ValueError:
            return target
    if kind == "user" and people is not None:
        person = people.get(int(value)) if value.isdigit() else None
        return display_name(person) if person else target
    return target


def target_choices(*, project):
    """The targets a policy step may pick from a list: on call and roles (a named person is chosen in
    a member box, see notifications.forms.PolicyForm)."""
    from django.utils.translation import gettext as _

    from projects.models import Role

    from .registry import ON_CALL_BACKUP, ON_CALL_PRIMARY

    choices = [(ON_CALL_PRIMARY, _("On-call primary")), (ON_CALL_BACKUP, _("On-call backup"))]
    choices += [(f"role:{value}", _("Role: %(role)s") % {"role": label}) for value, label in Role.choices]
    return choices


def people_named_in(step_lists):
    """{user id: user} of the people policy steps name ("user:<id>"), in one query."""
    from django.contrib.auth import get_user_model

    ids = {int(s["target"].split(":", 1)[1]) for steps in step_lists for s in steps
           if s["target"].startswith("user:") and s["target"].split(":", 1)[1].isdigit()}
    return get_user_model().objects.in_bulk(ids) if ids else {}
