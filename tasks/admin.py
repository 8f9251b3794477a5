from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ContingencyPlan, MigrationCheck, Run, Runbook, RunStep, Step, WorkItem


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
    raw_id_fields = ["run", "checked_by", "backup_confirmed_by"]


@admin.register(ContingencyPlan)
class ContingencyPlanAdmin(SimpleHistoryAdmin):
    list_display = ["project", "status", "decision_owner", "point_of_no_return_at"]
    raw_id_fields = ["decision_owner", "manager_approved_by", "business_approved_by"]
