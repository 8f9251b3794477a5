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
