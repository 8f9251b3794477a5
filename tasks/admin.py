from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ContingencyPlan,
    ContingencyScenario,
    CutoverIssue,
    Drill,
    MigrationCheck,
    MigrationEntity,
    Run,
    Runbook,
    RunStep,
    Step,
    TimelineEvent,
    WorkItem,
)


@admin.register(WorkItem)
class WorkItemAdmin(SimpleHistoryAdmin):
    list_display = ["title", "project", "phase", "owner", "due_at", "status"]
    list_filter = ["project", "phase", "status"]
    search_fields = ["title"]
    raw_id_fields = ["owner"]


class StepInline(admin.TabularInline):
    model = Step
    fields = ["order", "title", "category", "owner", "planned_minutes", "checkpoint", "point_of_no_return"]
    raw_id_fields = ["owner"]
    extra = 0


@admin.register(Runbook)
class RunbookAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "kind"]
    list_filter = ["project", "kind"]
    inlines = [StepInline]


@admin.register(Step)
class StepAdmin(SimpleHistoryAdmin):
    list_display = ["title", "runbook", "order", "category", "owner", "planned_minutes"]
    list_filter = ["runbook__project", "category"]
    search_fields = ["title"]
    raw_id_fields = ["owner", "runbook"]
    filter_horizontal = ["depends_on"]


@admin.register(Run)
class RunAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "project", "kind", "number", "status", "planned_start", "finished_at"]
    list_filter = ["project", "kind", "status"]


@admin.register(RunStep)
class RunStepAdmin(SimpleHistoryAdmin):
    list_display = ["title", "run", "status", "owner", "actual_start", "actual_end"]
    list_filter = ["status", "run__project"]
    raw_id_fields = ["owner", "started_by", "finished_by", "run"]


@admin.register(MigrationCheck)
class MigrationCheckAdmin(SimpleHistoryAdmin):
    list_display = ["entity", "run", "source_count", "target_count", "source_total", "target_total", "status"]
    list_filter = ["project", "status"]
    raw_id_fields = ["run", "checked_by", "backup_confirmed_by", "restore_tested_by"]


@admin.register(ContingencyPlan)
class ContingencyPlanAdmin(SimpleHistoryAdmin):
    list_display = ["project", "status", "decision_owner", "point_of_no_return_at"]
    raw_id_fields = ["decision_owner", "manager_approved_by", "business_approved_by"]


@admin.register(CutoverIssue)
class CutoverIssueAdmin(SimpleHistoryAdmin):
    """Issues are filed and moved on from the board or the API (the transitions are view-only here)."""

    list_display = ["number", "title", "run", "severity", "status", "owner", "opened_at", "resolved_at"]
    list_filter = ["project", "severity", "status"]
    search_fields = ["title", "description", "resolution"]
    list_select_related = ["run", "run__runbook", "owner"]
    raw_id_fields = ["run", "step", "owner", "opened_by"]
    readonly_fields = ["status", "opened_at", "mitigating_at", "resolved_at", "closed_at", "resolution", "number"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    """The war-room timeline is append-only: looked at here, never edited."""

    list_display = ["at", "run", "kind", "actor", "text"]
    list_filter = ["kind", "run__project"]
    search_fields = ["text"]
    list_select_related = ["run", "run__runbook", "actor"]
    readonly_fields = ["run", "at", "kind", "run_step", "issue", "actor", "text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContingencyScenario)
class ContingencyScenarioAdmin(SimpleHistoryAdmin):
    list_display = ["trigger", "project", "owner", "rollback_runbook"]
    list_filter = ["project"]
    search_fields = ["trigger", "response"]
    raw_id_fields = ["owner", "rollback_runbook"]


@admin.register(Drill)
class DrillAdmin(SimpleHistoryAdmin):
    list_display = ["held_at", "scenario", "project", "outcome", "run"]
    list_filter = ["project", "outcome"]
    raw_id_fields = ["scenario", "run", "recorded_by"]


@admin.register(MigrationEntity)
class MigrationEntityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "source", "target", "owner", "order"]
    list_filter = ["project"]
    search_fields = ["name", "source", "target"]
    raw_id_fields = ["owner"]
    list_select_related = ["project", "owner"]
