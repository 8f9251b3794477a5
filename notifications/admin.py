from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .models import EmailStatus, Notification, NotificationPreference, ReminderSetting


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox. Rows are written by notify() and the sweep; here they are looked at and requeued."""

    list_display = ["id", "recipient", "kind", "project", "created_at", "email_status", "email_sent_at",
                    "email_attempts", "read_at"]
    list_filter = ["email_status", "kind", "project"]
    search_fields = ["recipient__username", "message", "dedupe_key"]
    list_select_related = ["recipient", "project"]
    date_hierarchy = "created_at"
    readonly_fields = ["recipient", "project", "kind", "message", "url", "subject_type", "subject_id", "due_at",
                       "dedupe_key", "created_at", "email_status", "email_sent_at", "email_next_attempt_at",
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
class NotificationPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "language", "email_enabled", "email_mode", "digest_hour", "quiet_start", "quiet_end"]
    list_filter = ["language", "email_enabled", "email_mode"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(ReminderSetting)
class ReminderSettingAdmin(SimpleHistoryAdmin):
    list_display = ["project", "kind", "enabled", "lead_hours"]
    list_filter = ["project", "enabled", "kind"]
    list_select_related = ["project"]
