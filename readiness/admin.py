"""Admin of readiness: snapshots (derived data) and the go/no-go records, which are view-only:
the evidence is frozen and a sign-off or a final decision never changes, here or anywhere."""

from django.contrib import admin

from projects.admin_base import AppendOnlyAdmin, AppendOnlyModelAdmin

from .models import GoNoGoDecision, GoNoGoSignOff, ReadinessSnapshot, SignatureFailure


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
