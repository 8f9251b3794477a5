from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, Membership, Milestone, OnCallShift, Project, Responsibility


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
    list_display = ["user", "starts_at", "ends_at", "project"]
    list_filter = ["project"]
    list_select_related = ["project", "user"]


# ----- readiness, go/no-go and lessons learned -----------------------------------------------
from .models import GoNoGoDecision, GoNoGoSignOff, Lesson, LessonAction, LessonVote, ReadinessSnapshot, SignatureFailure  # noqa: E402


@admin.register(ReadinessSnapshot)
class ReadinessSnapshotAdmin(admin.ModelAdmin):
    list_display = ["project", "date", "score", "ready"]
    list_filter = ["project", "ready"]
    date_hierarchy = "date"
    list_select_related = ["project"]


class SignOffInline(admin.TabularInline):
    model = GoNoGoSignOff
    extra = 0
    can_delete = False
    readonly_fields = ["role", "user", "verdict", "comment", "signed_at"]

    def has_add_permission(self, request, obj=None):
        return False  # sign-offs are e-signed on the meeting page, never typed in here


@admin.register(GoNoGoDecision)
class GoNoGoDecisionAdmin(SimpleHistoryAdmin):
    """Read-only: the evidence is frozen and a final decision may never be edited, here or anywhere."""

    list_display = ["title", "project", "meeting_at", "status", "final_verdict", "score", "ready"]
    list_filter = ["project", "status", "final_verdict"]
    list_select_related = ["project"]
    inlines = [SignOffInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # view only: no edit and no history "revert" of a decision or a signature

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GoNoGoSignOff)
class GoNoGoSignOffAdmin(SimpleHistoryAdmin):
    list_display = ["decision", "role", "user", "verdict", "signed_at"]
    list_filter = ["verdict", "role"]
    list_select_related = ["decision", "user"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # view only: no edit and no history "revert" of a decision or a signature

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SignatureFailure)
class SignatureFailureAdmin(admin.ModelAdmin):
    list_display = ["user", "decision", "attempted_at"]
    list_select_related = ["user", "decision"]
    readonly_fields = ["user", "decision", "attempted_at"]


@admin.register(Lesson)
class LessonAdmin(SimpleHistoryAdmin):
    list_display = ["text", "kind", "project", "author", "created_at"]
    list_filter = ["project", "kind"]
    search_fields = ["text"]
    list_select_related = ["project", "author"]


@admin.register(LessonVote)
class LessonVoteAdmin(admin.ModelAdmin):
    list_display = ["lesson", "user", "created_at"]
    list_select_related = ["lesson", "user"]


@admin.register(LessonAction)
class LessonActionAdmin(SimpleHistoryAdmin):
    list_display = ["title", "project", "owner", "due_date", "status"]
    list_filter = ["project", "status"]
    search_fields = ["title"]
    list_select_related = ["project", "owner"]
