from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Defect,
    DefectAttachment,
    DefectComment,
    DefectTransition,
    SlaPolicy,
    TestCase,
    TestCycle,
    TestResult,
)


@admin.register(TestCycle)
class TestCycleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "kind", "planned_start", "planned_end", "status"]
    list_filter = ["project", "kind", "status"]
    search_fields = ["name"]


@admin.register(TestCase)
class TestCaseAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "project", "kind"]
    list_filter = ["project", "kind"]
    search_fields = ["code", "title"]


@admin.register(TestResult)
class TestResultAdmin(SimpleHistoryAdmin):
    list_display = ["case", "cycle", "status", "executed_by", "executed_at"]
    list_filter = ["status", "cycle__project"]
    list_select_related = ["case", "cycle", "executed_by"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["project", "severity", "triage_hours", "fix_hours"]
    list_filter = ["project"]


class CommentInline(admin.TabularInline):
    model = DefectComment
    extra = 0


@admin.register(Defect)
class DefectAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "project", "severity", "category", "status", "assignee", "created_at"]
    list_filter = ["project", "status", "severity", "category", "found_in"]
    search_fields = ["title", "steps", "actual_result"]
    list_select_related = ["project", "assignee"]
    raw_id_fields = ["duplicate_of", "test_result", "cycle", "requirement"]
    inlines = [CommentInline]


@admin.register(DefectTransition)
class DefectTransitionAdmin(SimpleHistoryAdmin):
    list_display = ["defect", "from_status", "to_status", "actor", "at"]
    list_select_related = ["defect", "actor"]


@admin.register(DefectComment)
class DefectCommentAdmin(SimpleHistoryAdmin):
    list_display = ["defect", "author", "created_at"]
    list_select_related = ["defect", "author"]


@admin.register(DefectAttachment)
class DefectAttachmentAdmin(SimpleHistoryAdmin):
    list_display = ["original_name", "defect", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["defect", "uploaded_by"]
