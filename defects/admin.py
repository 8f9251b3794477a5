from django.contrib import admin

from projects.admin_base import AppendOnlyAdmin, HistoryAdmin

from .models import (
    Defect,
    DefectAttachment,
    DefectComment,
    DefectSettings,
    DefectTransition,
    PerfResult,
    PerfRun,
    PerfTarget,
    SecurityFinding,
    SlaPolicy,
    TestCase,
    TestCycle,
    TestResult,
)


@admin.register(TestCycle)
class TestCycleAdmin(HistoryAdmin):
    list_display = ["name", "project", "kind", "scope", "planned_start", "planned_end", "status"]
    list_filter = ["project", "kind", "status", "scope"]
    search_fields = ["name"]


@admin.register(TestCase)
class TestCaseAdmin(HistoryAdmin):
    list_display = ["code", "title", "project", "kind", "active", "automation_key"]
    list_filter = ["project", "kind", "active"]
    search_fields = ["code", "title", "automation_key"]


@admin.register(TestResult)
class TestResultAdmin(HistoryAdmin):
    list_display = ["case", "cycle", "status", "executed_by", "executed_at"]
    list_filter = ["status", "cycle__project"]
    list_select_related = ["case", "cycle", "executed_by"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(HistoryAdmin):
    list_display = ["project", "severity", "triage_hours", "fix_hours"]
    list_filter = ["project"]


@admin.register(DefectSettings)
class DefectSettingsAdmin(HistoryAdmin):
    list_display = ["project", "triage_by"]
    list_filter = ["triage_by"]


class CommentInline(admin.TabularInline):
    model = DefectComment
    extra = 0


@admin.register(Defect)
class DefectAdmin(HistoryAdmin):
    list_display = ["number", "title", "project", "severity", "category", "status", "assignee", "created_at"]
    list_filter = ["project", "status", "severity", "category", "found_in"]
    search_fields = ["title", "steps", "actual_result"]
    list_select_related = ["project", "assignee"]
    raw_id_fields = ["duplicate_of", "test_result", "cycle", "requirement"]
    # The workflow goes through defect_transition (which writes the DefectTransition row), never here.
    readonly_fields = ["number", "status", "reject_reason", "duplicate_of"]
    inlines = [CommentInline]


@admin.register(DefectTransition)
class DefectTransitionAdmin(AppendOnlyAdmin):
    list_display = ["defect", "from_status", "to_status", "actor", "at"]
    list_select_related = ["defect", "actor"]


@admin.register(DefectComment)
class DefectCommentAdmin(HistoryAdmin):
    list_display = ["defect", "author", "created_at"]
    list_select_related = ["defect", "author"]


@admin.register(DefectAttachment)
class DefectAttachmentAdmin(HistoryAdmin):
    list_display = ["original_name", "defect", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["defect", "uploaded_by"]


@admin.register(PerfTarget)
class PerfTargetAdmin(HistoryAdmin):
    list_display = ["transaction", "project", "p95_ms", "min_tps", "max_error_rate", "requirement"]
    list_filter = ["project"]
    search_fields = ["transaction"]
    raw_id_fields = ["requirement"]


class PerfResultInline(admin.TabularInline):
    model = PerfResult
    extra = 0
    can_delete = False
    readonly_fields = ["transaction", "samples", "p95_ms", "tps", "error_rate"]

    def has_add_permission(self, request, obj=None):
        return False  # results come from the tool's file (the import), never typed in


@admin.register(PerfRun)
class PerfRunAdmin(HistoryAdmin):
    list_display = ["name", "project", "tool", "cycle", "imported_at", "imported_by"]
    list_filter = ["project", "tool"]
    search_fields = ["name"]
    readonly_fields = ["file_name", "imported_at", "imported_by", "created_by"]
    raw_id_fields = ["cycle"]
    inlines = [PerfResultInline]


@admin.register(SecurityFinding)
class SecurityFindingAdmin(HistoryAdmin):
    """Findings are edited here only in their wording: severity (and so the fix date), CVSS, the workflow and
    risk acceptance (a second person's approval) go through the pages and the API, so they are read-only."""

    list_display = ["number", "title", "project", "severity", "status", "source", "due_date", "cwe"]
    list_filter = ["project", "severity", "status", "source"]
    search_fields = ["title", "component", "location"]
    list_select_related = ["project"]
    readonly_fields = ["number", "severity", "cvss_vector", "due_date", "status", "status_note", "source",
                       "fingerprint", "import_count", "last_seen_at", "cvss_score", "risk_reason", "risk_expires_on", "risk_requested_by", "risk_requested_at",
                       "risk_approved_by", "risk_approved_at", "fixed_at", "verified_at", "reported_by", "defect"]

    def has_add_permission(self, request):
        return False  # numbering and SLA dates come from the services
