from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from projects.admin_base import HistoryAdmin

from .models import (
    Alert,
    AlertEvent,
    Channel,
    ChannelMessage,
    ChannelMessageStatus,
    ChannelSend,
    EmailStatus,
    EscalationPolicy,
    Notification,
    NotificationPreference,
    ReminderSetting,
)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox. Rows are written by notify() and the sweep; here they are looked at and requeued."""

    list_display = ["id", "recipient", "kind", "project", "created_at", "email_status", "email_sent_at",
                    "email_attempts", "read_at"]
    list_filter = ["email_status", "kind", "project"]
    search_fields = ["recipient__username", "message", "dedupe_key"]
    list_select_related = ["recipient", "project"]
    date_hierarchy = "created_at"
    readonly_fields = ["recipient", "project", "kind", "message_key", "params", "message", "url", "subject_type",
                       "subject_id", "due_at", "dedupe_key", "created_at", "email_status", "email_sent_at", "email_next_attempt_at",
                       "email_attempts", "email_error", "read_at"]
    actions = ["requeue_email"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Try the e-mail again (failed or skipped ones)"))
    def requeue_email(self, request, queryset):
        count = queryset.filter(email_status__in=[EmailStatus.FAILED, EmailStatus.SKIPPED]).update(
            email_status=EmailStatus.PENDING, email_attempts=0, email_next_attempt_at=None, email_error="")
        self.message_user(request, ngettext("%d notification requeued.", "%d notifications requeued.", count) % count,
                          messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(HistoryAdmin):
    list_display = ["user", "language", "email_enabled", "email_mode", "digest_hour", "quiet_start", "quiet_end"]
    list_filter = ["language", "email_enabled", "email_mode"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(ReminderSetting)
class ReminderSettingAdmin(HistoryAdmin):
    list_display = ["project", "kind", "enabled", "lead_hours"]
    list_filter = ["project", "enabled", "kind"]
    list_select_related = ["project"]


@admin.register(Channel)
class ChannelAdmin(HistoryAdmin):
    """Chat channels. The secret is set on the channel's page or through the API and never shown."""

    list_display = ["name", "project", "kind", "language", "active", "has_secret"]
    list_filter = ["project", "kind", "active"]
    search_fields = ["name", "url"]
    list_select_related = ["project"]
    exclude = ["secret"]
    readonly_fields = ["secret_changed_at", "created_at"]

    @admin.display(boolean=True, description=_("secret set"))
    def has_secret(self, obj):
        return bool(obj.secret)


@admin.register(ChannelMessage)
class ChannelMessageAdmin(admin.ModelAdmin):
    """The channel outbox: written by `broadcast()`, looked at and requeued here."""

    list_display = ["id", "channel", "kind", "created_at", "status", "sent_at", "attempts"]
    list_filter = ["status", "kind", "channel__project"]
    search_fields = ["text", "dedupe_key"]
    list_select_related = ["channel"]
    readonly_fields = ["channel", "kind", "message_key", "params", "text", "url", "dedupe_key", "created_at", "status", "sent_at", "send",
                       "attempts", "next_attempt_at", "error"]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Try sending again (failed or skipped ones)"))
    def requeue(self, request, queryset):
        count = queryset.filter(status__in=[ChannelMessageStatus.FAILED, ChannelMessageStatus.SKIPPED]).update(
            status=ChannelMessageStatus.PENDING, attempts=0, next_attempt_at=None, error="")
        self.message_user(request, ngettext("%d message requeued.", "%d messages requeued.", count) % count,
                          messages.SUCCESS)


@admin.register(ChannelSend)
class ChannelSendAdmin(admin.ModelAdmin):
    list_display = ["channel", "at", "messages", "digest", "ok", "status_code"]
    list_filter = ["ok", "digest", "channel__project"]
    list_select_related = ["channel"]
    readonly_fields = ["channel", "at", "messages", "digest", "ok", "status_code", "response"]

    def has_add_permission(self, request):
        return False


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(HistoryAdmin):
    list_display = ["name", "project", "created_at"]
    list_filter = ["project"]
    search_fields = ["name"]


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "step", "target", "user", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(HistoryAdmin):
    """Alerts are acknowledged and resolved on their page or through the API; here they are looked at."""

    list_display = ["title", "project", "severity", "status", "triggered_at", "level", "next_escalation_at",
                    "acknowledged_by"]
    list_filter = ["project", "severity", "status"]
    search_fields = ["title", "source"]
    list_select_related = ["project", "acknowledged_by"]
    inlines = [AlertEventInline]
    readonly_fields = ["project", "title", "severity", "source", "policy", "steps", "status", "triggered_at",
                       "triggered_by", "level", "next_escalation_at", "acknowledged_by", "acknowledged_at",
                       "resolved_by", "resolved_at"]

    def has_add_permission(self, request):
        return False
