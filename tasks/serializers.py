from datetime import datetime

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.models import Phase

from .models import (
    Category,
    ContingencyPlan,
    ContingencyScenario,
    CutoverIssue,
    Decision,
    Drill,
    DrillOutcome,
    EnvCategory,
    EnvCheck,
    EnvCheckStatus,
    EnvEvidence,
    IssueSeverity,
    IssueStatus,
    MigrationCheck,
    MigrationEntity,
    Run,
    Runbook,
    RunbookKind,
    RunKind,
    RunStep,
    Step,
    TimelineEvent,
    WorkItem,
    WorkItemStatus,
)

User = get_user_model()


class WorkItemSerializer(serializers.ModelSerializer):
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    status = serializers.ChoiceField(choices=WorkItemStatus.choices, read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)

    class Meta:
        model = WorkItem
        fields = ["id", "project", "title", "phase", "owner", "due_at", "status", "blocked_reason", "done_at"]
        read_only_fields = ["status", "blocked_reason", "done_at"]


class WorkItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WorkItemStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RunbookSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RunbookKind.choices, required=False)
    step_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Runbook
        fields = ["id", "project", "name", "description", "kind", "step_count"]
        validators = []


class StepSerializer(serializers.ModelSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    planned_minutes = serializers.IntegerField(min_value=0, max_value=7 * 24 * 60)
    depends_on = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=Step.objects.all())

    class Meta:
        model = Step
        fields = ["id", "runbook", "order", "title", "description", "category", "owner", "planned_minutes",
                  "depends_on", "checkpoint", "point_of_no_return", "rollback_instructions"]
        read_only_fields = ["runbook"]
        extra_kwargs = {"order": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        runbook = self.context.get("runbook")
        if runbook is not None:
            self.fields["depends_on"].child_relation.queryset = Step.objects.filter(runbook=runbook)


class PointOfNoReturnSerializer(serializers.Serializer):
    """A run's point of no return: the runbook step's id, its planned and forecast start, passed yet."""

    step = serializers.IntegerField()
    planned = serializers.DateTimeField()
    forecast = serializers.DateTimeField()
    passed = serializers.BooleanField()


class RunSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RunKind.choices)
    runbook = serializers.PrimaryKeyRelatedField(queryset=Runbook.objects.none())
    planned_finish = serializers.SerializerMethodField()
    forecast_finish = serializers.SerializerMethodField()
    critical_path = serializers.SerializerMethodField()
    breaks_window = serializers.SerializerMethodField()
    point_of_no_return = serializers.SerializerMethodField()
    decide_by = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["id", "project", "runbook", "kind", "number", "status", "planned_start", "window_end",
                  "planned_finish", "forecast_finish", "breaks_window", "critical_path", "point_of_no_return",
                  "decide_by", "started_at", "finished_at", "flagged_at", "flag_note"]
        read_only_fields = ["project", "number", "status", "window_end", "started_at", "finished_at", "flagged_at",
                            "flag_note"]
        extra_kwargs = {"planned_start": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            from .selectors import runbook_list_for_user

            self.fields["runbook"].queryset = runbook_list_for_user(user=request.user)

    def _fc(self, obj):
        return getattr(obj, "fc", None)

    def get_planned_finish(self, obj) -> str | None:
        fc = self._fc(obj)
        return serializers.DateTimeField().to_representation(fc.planned_finish) if fc else None

    def get_forecast_finish(self, obj) -> str | None:
        fc = self._fc(obj)
        return serializers.DateTimeField().to_representation(fc.forecast_finish) if fc else None

    def get_critical_path(self, obj) -> list[int]:
        fc = self._fc(obj)
        return list(fc.critical_path) if fc else []

    def get_breaks_window(self, obj) -> bool:
        fc = self._fc(obj)
        return bool(fc and fc.forecast_finish > obj.window_end)

    @extend_schema_field(PointOfNoReturnSerializer(allow_null=True))
    def get_point_of_no_return(self, obj):
        point = getattr(obj, "decision", None)
        if point is None or point.step_id is None:
            return None
        return PointOfNoReturnSerializer({"step": point.step_id, "planned": point.planned, "forecast": point.forecast,
                                          "passed": point.passed}).data

    def get_decide_by(self, obj) -> datetime | None:
        point = getattr(obj, "decision", None)
        if point is None or point.decide_by is None:
            return None
        return serializers.DateTimeField().to_representation(point.decide_by)


class RunStepSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="source_step_id", read_only=True)
    run_step_id = serializers.IntegerField(source="pk", read_only=True)
    actual_minutes = serializers.IntegerField(read_only=True)
    variance = serializers.IntegerField(read_only=True)

    class Meta:
        model = RunStep
        fields = ["id", "run_step_id", "run", "order", "title", "category", "owner", "planned_minutes", "depends_on",
                  "checkpoint", "point_of_no_return", "status", "actual_start", "actual_end", "actual_minutes",
                  "variance", "started_by", "finished_by", "decision", "notes", "rollback_instructions", "attempts"]
        read_only_fields = fields


class RunStepActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    decision = serializers.ChoiceField(choices=Decision.choices, required=False, allow_blank=True, default="")


class MigrationCheckSerializer(serializers.ModelSerializer):
    run = serializers.PrimaryKeyRelatedField(queryset=Run.objects.none())
    count_difference = serializers.IntegerField(read_only=True)
    total_difference = serializers.DecimalField(max_digits=22, decimal_places=2, read_only=True)

    class Meta:
        model = MigrationCheck
        fields = ["id", "project", "run", "entity", "source_count", "target_count", "source_total", "target_total",
                  "tolerance", "duplicates_removed", "rejected_rows", "status", "count_difference", "total_difference",
                  "checked_by", "backup_confirmed_by", "backup_confirmed_at", "restore_tested_by", "restore_tested_at"]
        read_only_fields = ["project", "status", "checked_by", "backup_confirmed_by", "backup_confirmed_at",
                            "restore_tested_by", "restore_tested_at"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            from .selectors import run_list_for_user

            self.fields["run"].queryset = run_list_for_user(user=request.user)


class ContingencyPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContingencyPlan
        fields = ["id", "project", "rollback_criteria", "decision_owner", "rollback_runbook", "point_of_no_return_at",
                  "status", "manager_approved_by", "manager_approved_at", "business_approved_by",
                  "business_approved_at"]
        read_only_fields = fields


# ---------------------------------------------------------------- the cutover night

class CutoverIssueSerializer(serializers.ModelSerializer):
    """`step` is the id of the runbook step the run's step snapshots, as everywhere in the runs API."""

    run = serializers.IntegerField(source="run_id", min_value=1, max_value=2 ** 53)
    step = serializers.IntegerField(source="step.source_step_id", min_value=1, max_value=2 ** 53, required=False,
                                    allow_null=True)
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=IssueSeverity.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    owner = serializers.IntegerField(source="owner_id", min_value=1, max_value=2 ** 53, required=False,
                                     allow_null=True)
    resolution_minutes = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = CutoverIssue
        fields = ["id", "project", "run", "number", "step", "title", "severity", "description", "owner", "status",
                  "opened_by", "opened_at", "mitigating_at", "resolved_at", "closed_at", "resolution",
                  "resolution_minutes"]
        read_only_fields = ["project", "number", "status", "opened_by", "opened_at", "mitigating_at", "resolved_at",
                            "closed_at", "resolution"]


class IssueTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=IssueStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TimelineEventSerializer(serializers.ModelSerializer):
    step = serializers.SerializerMethodField()
    step_title = serializers.SerializerMethodField()
    issue_number = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEvent
        fields = ["id", "run", "at", "kind", "step", "step_title", "issue", "issue_number", "actor", "text"]
        read_only_fields = fields

    def get_step(self, obj) -> int | None:
        return obj.run_step.source_step_id if obj.run_step_id else None

    def get_step_title(self, obj) -> str | None:
        return obj.run_step.title if obj.run_step_id else None

    def get_issue_number(self, obj) -> int | None:
        return obj.issue.number if obj.issue_id else None


class UpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class ContingencyScenarioSerializer(serializers.ModelSerializer):
    trigger = serializers.CharField(max_length=300)
    response = serializers.CharField(max_length=10000)
    owner = serializers.IntegerField(source="owner_id", min_value=1, max_value=2 ** 53, required=False,
                                     allow_null=True)
    rollback_runbook = serializers.IntegerField(source="rollback_runbook_id", min_value=1, max_value=2 ** 53,
                                                required=False, allow_null=True)

    class Meta:
        model = ContingencyScenario
        fields = ["id", "project", "trigger", "response", "owner", "rollback_runbook", "created_at"]
        read_only_fields = ["project", "created_at"]


class DrillSerializer(serializers.ModelSerializer):
    scenario = serializers.IntegerField(source="scenario_id", min_value=1, max_value=2 ** 53)
    outcome = serializers.ChoiceField(choices=DrillOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    run = serializers.IntegerField(source="run_id", min_value=1, max_value=2 ** 53, required=False, allow_null=True)

    class Meta:
        model = Drill
        fields = ["id", "project", "scenario", "held_at", "outcome", "notes", "run", "recorded_by"]
        read_only_fields = ["project", "recorded_by"]


class MigrationEntitySerializer(serializers.ModelSerializer):
    """An entity of the data-migration plan; its checks are the runs' `migration-checks/?entity=<name>`."""

    name = serializers.CharField(max_length=120)
    source = serializers.CharField(max_length=300)
    target = serializers.CharField(max_length=300)
    cleansing = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    transformation = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    deduplication = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    owner = serializers.IntegerField(source="owner_id", min_value=1, max_value=2 ** 53, required=False,
                                     allow_null=True)
    order = serializers.IntegerField(min_value=0, max_value=100000, required=False)

    class Meta:
        model = MigrationEntity
        fields = ["id", "project", "name", "source", "target", "cleansing", "transformation", "deduplication",
                  "owner", "order"]
        read_only_fields = ["project"]


class EnvCheckSerializer(serializers.ModelSerializer):
    """An item of an environment checklist; `evidence_count` counts its files and links."""

    category = serializers.ChoiceField(choices=EnvCategory.choices)
    title = serializers.CharField(max_length=200)
    location = serializers.CharField(max_length=120, required=False, allow_blank=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    mandatory = serializers.BooleanField(required=False, default=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=EnvCheckStatus.choices, read_only=True)
    evidence_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = EnvCheck
        fields = ["id", "project", "category", "title", "location", "note", "mandatory", "owner", "due_at", "status",
                  "reason", "checked_by", "checked_at", "evidence_count", "created_at"]
        read_only_fields = ["status", "reason", "checked_by", "checked_at", "created_at"]
        validators = []  # the service names a duplicate title in its own words


class EnvCheckTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=EnvCheckStatus.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EnvCheckStandardSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=2 ** 53)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=EnvCategory.choices), required=False,
                                       max_length=len(EnvCategory.choices))
    location = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class EnvCheckStandardResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    items = EnvCheckSerializer(many=True)


class EnvEvidenceSerializer(serializers.ModelSerializer):
    """Evidence of an item: multipart `file` (PNG, JPEG, GIF, PDF, ZIP, text or configuration export) or
    `url` (http/https), with an optional `note`. Append-only."""

    file = serializers.FileField(write_only=True, required=False)
    url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = EnvEvidence
        fields = ["id", "item", "file", "url", "note", "original_name", "content_type", "size", "uploaded_by",
                  "uploaded_at", "download"]
        read_only_fields = ["item", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]

    def get_download(self, obj) -> str | None:
        """Where members download the file (the page's URL, session auth); null for a link."""
        from django.urls import reverse

        if not obj.file:
            return None
        return reverse("tasks:env_evidence", args=[obj.item.project_id, obj.item_id, obj.pk])
