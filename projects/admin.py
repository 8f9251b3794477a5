from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, DirectoryProfile, FeedToken, Membership, Milestone, OnCallShift, Project, Responsibility


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "phase", "go_live_at", "window_start", "window_end"]
    list_filter = ["phase"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project"]
    list_filter = ["project"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "project", "role", "department", "job_title"]
    list_filter = ["project", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "job_title"]
    list_select_related = ["user", "project", "department"]
    autocomplete_fields = ["user"]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "planned_date", "forecast_date", "actual_date", "owner"]
    list_filter = ["project", "phase"]
    list_select_related = ["project", "owner"]


@admin.register(Responsibility)
class ResponsibilityAdmin(SimpleHistoryAdmin):
    list_display = ["area", "user", "raci", "project"]
    list_filter = ["project", "raci"]
    search_fields = ["area"]
    list_select_related = ["project", "user"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(SimpleHistoryAdmin):
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


@admin.register(DirectoryProfile)
class DirectoryProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "department", "source", "synced_at"]
    list_filter = ["source"]
    search_fields = ["user__username", "user__last_name", "department"]
    readonly_fields = ["synced_at"]
