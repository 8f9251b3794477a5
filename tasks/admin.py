from django.contrib import admin

from projects.admin_base import AppendOnlyAdmin, AppendOnlyModelAdmin, HistoryAdmin

from .models import (
    ContingencyPlan,
    ContingencyScenario,
    CutoverIssue,
    Drill,
    EnvCheck,
    EnvEvidence,
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
class WorkItemAdmin(HistoryAdmin):
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
class RunbookAdmin(HistoryAdmin):
    list_display = ["name", "project", "kind"]
    list_filter = ["project", "kind"]
    inlines = [StepInline]


@admin.register(Step)
class StepAdmin(HistoryAdmin):
    list_display = ["title", "runbook", "order", "category", "owner", "planned_minutes"]
    list_filter = ["runbook__project", "category"]
    search_fields = ["title"]
    raw_id_fields = ["owner", "runbook"]
    filter_horizontal = ["depends_on"]


@admin.register(Run)
class RunAdmin(HistoryAdmin):
    list_display = ["__str__", "project", "kind", "number", "status", "planned_start", "finished_at"]
    list_filter = ["project", "kind", "status"]


@admin.register(RunStep)
class RunStepAdmin(HistoryAdmin):
    list_display = ["title", "run", "status", "owner", "actual_start", "actual_end"]
    list_filter = ["status", "run__project"]
    raw_id_fields = ["owner", "run"]
    # Who ran a step and the checkpoint's go/no-go are records of the run.
    readonly_fields = ["status", "started_by", "finished_by", "decision"]


@admin.register(MigrationCheck)
class MigrationCheckAdmin(HistoryAdmin):
    list_display = ["entity", "run", "source_count", "target_count", "source_total", "target_total", "status"]
    list_filter = ["project", "status"]
    raw_id_fields = ["run", "checked_by", "backup_confirmed_by", "restore_tested_by"]


@admin.register(ContingencyPlan)
class ContingencyPlanAdmin(HistoryAdmin):
    list_display = ["project", "status", "decision_owner", "point_of_no_return_at"]
    raw_id_fields = ["decision_owner", "rollback_runbook"]
    # Approvals go through the services (two people, the plan frozen after); never typed in here.
    readonly_fields = ["status", "manager_approved_by", "manager_approved_at", "business_approved_by",
                       "business_approved_at"]


@admin.register(CutoverIssue)
class CutoverIssueAdmin(HistoryAdmin):
    """Issues are filed and moved on from the board or the API (the transitions are view-only here)."""

    list_display = ["number", "title", "run", "severity", "status", "owner", "opened_at", "resolved_at"]
    list_filter = ["project", "severity", "status"]
    search_fields = ["title", "description", "resolution"]
    list_select_related = ["run", "run__runbook", "owner"]
    raw_id_fields = ["run", "step", "owner", "opened_by"]
    readonly_fields = ["status", "opened_at", "mitigating_at", "resolved_at", "closed_at", "resolution", "number"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(AppendOnlyModelAdmin):
    """The war-room timeline is append-only: looked at here, never edited or deleted."""

    list_display = ["at", "run", "kind", "actor", "text"]
    list_filter = ["kind", "run__project"]
    search_fields = ["text"]
    list_select_related = ["run", "run__runbook", "actor"]


@admin.register(ContingencyScenario)
class ContingencyScenarioAdmin(HistoryAdmin):
    list_display = ["trigger", "project", "owner", "rollback_runbook"]
    list_filter = ["project"]
    search_fields = ["trigger", "response"]
    raw_id_fields = ["owner", "rollback_runbook"]


@admin.register(Drill)
class DrillAdmin(HistoryAdmin):
    list_display = ["held_at", "scenario", "project", "outcome", "run"]
    list_filter = ["project", "outcome"]
    raw_id_fields = ["scenario", "run", "recorded_by"]


@admin.register(MigrationEntity)
class MigrationEntityAdmin(HistoryAdmin):
    list_display = ["name", "project", "source", "target", "owner", "order"]
    list_filter = ["project"]
    search_fields = ["name", "source", "target"]
    raw_id_fields = ["owner"]
    list_select_related = ["project", "owner"]


class EnvEvidenceInline(admin.TabularInline):
    """Evidence is append-only: shown here, added on the checklist page or over the API (content-checked)."""

    model = EnvEvidence
    fields = ["original_name", "url", "content_type", "size", "note", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EnvCheck)
class EnvCheckAdmin(HistoryAdmin):
    list_display = ["title", "project", "category", "location", "mandatory", "owner", "due_at", "status"]
    list_filter = ["project", "category", "status", "mandatory"]
    search_fields = ["title", "location"]
    raw_id_fields = ["owner", "checked_by"]
    # The status moves through the service (a mandatory item needs evidence before it is ready).
    readonly_fields = ["status", "reason", "checked_by", "checked_at"]
    list_select_related = ["project", "owner"]
    inlines = [EnvEvidenceInline]


@admin.register(EnvEvidence)
class EnvEvidenceAdmin(AppendOnlyAdmin):
    list_display = ["__str__", "item", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["item__project"]
    list_select_related = ["item", "uploaded_by"]
