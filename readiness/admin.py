"""Admin of readiness: snapshots (derived data) and the go/no-go records, which are view-only:
the evidence is frozen and a sign-off or a final decision never changes, here or anywhere."""

from django.contrib import admin

from projects.admin_base import AppendOnlyAdmin, AppendOnlyModelAdmin, HistoryAdmin

from .models import (
    GoNoGoDecision,
    GoNoGoSignOff,
    Meeting,
    MeetingAction,
    MeetingDecision,
    ReadinessSnapshot,
    Risk,
    SignatureFailure,
)


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
class GoNoGoDecisionAdmin(AppendOnlyAdmin):
    """Read-only: the evidence is frozen and a final decision may never be edited, here or anywhere."""

    list_display = ["title", "project", "meeting_at", "status", "final_verdict", "score", "ready"]
    list_filter = ["project", "status", "final_verdict"]
    list_select_related = ["project"]
    inlines = [SignOffInline]


@admin.register(GoNoGoSignOff)
class GoNoGoSignOffAdmin(AppendOnlyAdmin):
    list_display = ["decision", "role", "user", "verdict", "signed_at"]
    list_filter = ["verdict", "role"]
    list_select_related = ["decision", "user"]


@admin.register(SignatureFailure)
class SignatureFailureAdmin(AppendOnlyModelAdmin):
    list_display = ["user", "decision", "attempted_at"]
    list_select_related = ["user", "decision"]
    readonly_fields = ["user", "decision", "attempted_at"]


@admin.register(Risk)
class RiskAdmin(HistoryAdmin):
    """The register, searchable, with its history, for auditors. View-only: risks are entered, edited
    and moved on the register page or the API, where the owner rules and the score are kept."""

    list_display = ["title", "project", "category", "likelihood", "impact", "score", "status", "owner", "review_on"]
    list_filter = ["project", "category", "status"]
    search_fields = ["title", "mitigation", "trigger"]
    list_select_related = ["project", "owner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a risk is closed, never deleted: the register is the audit trail


class MeetingDecisionInline(admin.TabularInline):
    model = MeetingDecision
    extra = 0
    can_delete = False
    readonly_fields = ["text", "recorded_by", "recorded_at"]

    def has_add_permission(self, request, obj=None):
        return False


class MeetingActionInline(admin.TabularInline):
    model = MeetingAction
    extra = 0
    can_delete = False
    fields = ["text", "owner", "due", "status", "done_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin):
    """Minutes, searchable, with their history. View-only: meetings are minuted on the meetings page
    or the API (attendees must be members, one stand-up a day)."""

    list_display = ["title", "project", "kind", "held_at"]
    list_filter = ["project", "kind"]
    search_fields = ["title", "notes"]
    date_hierarchy = "held_at"
    list_select_related = ["project"]
    inlines = [MeetingDecisionInline, MeetingActionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MeetingAction)
class MeetingActionAdmin(HistoryAdmin):
    list_display = ["text", "project", "owner", "due", "status"]
    list_filter = ["project", "status"]
    search_fields = ["text"]
    list_select_related = ["project", "owner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
