from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_base import HistoryAdmin
from .models import (
    ApiToken,
    AuditEntry,
    Department,
    DirectoryProfile,
    FeedToken,
    Membership,
    Milestone,
    OnCallShift,
    Project,
    Responsibility,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(HistoryAdmin):
    list_display = ["code", "name", "phase", "go_live_at", "window_start", "window_end"]
    list_filter = ["phase"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(Department)
class DepartmentAdmin(HistoryAdmin):
    list_display = ["name", "project"]
    list_filter = ["project"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "project", "role", "department", "job_title"]
    list_filter = ["project", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "job_title"]
    list_select_related = ["user", "project", "department"]
    autocomplete_fields = ["user"]


@admin.register(Milestone)
class MilestoneAdmin(HistoryAdmin):
    list_display = ["name", "project", "planned_date", "forecast_date", "actual_date", "owner"]
    list_filter = ["project", "phase"]
    list_select_related = ["project", "owner"]


@admin.register(Responsibility)
class ResponsibilityAdmin(HistoryAdmin):
    list_display = ["area", "user", "raci", "project"]
    list_filter = ["project", "raci"]
    search_fields = ["area"]
    list_select_related = ["project", "user"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(HistoryAdmin):
    list_display = ["user", "tier", "starts_at", "ends_at", "project"]
    list_filter = ["project", "tier"]
    list_select_related = ["project", "user"]


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    """Calendar-feed secrets: revoked here (delete: every feed URL of the person stops working), never
    shown or edited; the person makes new addresses on their calendars page."""

    list_display = ["user", "created_at"]
    search_fields = ["user__username"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The project-wide audit log, read-only: entries are appended by the history signal, never edited."""

    list_display = ["at", "project", "actor", "model", "object_id", "action"]
    list_filter = ["project", "action", "model"]
    search_fields = ["object_repr", "object_id", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["project", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: looked at and revoked here, never issued or edited (only a digest is stored)."""

    list_display = ["prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "prefix"]
    list_select_related = ["user"]
    fields = readonly_fields = ["user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from .services import api_token_revoke

        for token in queryset:
            api_token_revoke(token=token)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DirectoryProfile)
class DirectoryProfileAdmin(HistoryAdmin):
    list_display = ["user", "department", "source", "synced_at"]
    list_filter = ["source"]
    search_fields = ["user__username", "user__last_name", "department"]
    readonly_fields = ["synced_at"]
