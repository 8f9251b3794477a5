"""API shapes of the defects app (input shape only; services hold the rules)."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from . import services
from .models import (
    Category,
    CycleKind,
    CycleStatus,
    Defect,
    DefectAttachment,
    DefectComment,
    DefectTransition,
    FoundIn,
    Priority,
    RejectReason,
    ResultStatus,
    Severity,
    TestCase,
    TestCycle,
    TestResult,
)

User = get_user_model()


class DefectSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    found_in = serializers.ChoiceField(choices=FoundIn.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    overdue = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Defect
        fields = ["id", "project", "number", "key", "title", "severity", "priority", "category", "environment",
                  "steps", "expected_result", "actual_result", "status", "found_in", "cycle", "test_result",
                  "requirement", "assignee", "reporter", "duplicate_of", "reject_reason", "customers_affected",
                  "branches_affected", "incident_started_at", "resolved_at", "triage_due_at", "fix_due_at",
                  "overdue", "reopen_count", "created_at", "triaged_at", "fixed_at", "closed_at", "updated_at",
                  "allowed_transitions"]
        read_only_fields = ["number", "status", "reporter", "duplicate_of", "reject_reason", "triage_due_at",
                            "fix_due_at", "reopen_count", "created_at", "triaged_at", "fixed_at", "closed_at",
                            "updated_at"]
        extra_kwargs = {"environment": {"required": False, "allow_blank": True}}

    def get_overdue(self, obj) -> bool:
        value = getattr(obj, "overdue", None)
        return bool(value) if value is not None else obj.overdue_at(timezone.now()) is not None

    def get_allowed_transitions(self, obj) -> list[str]:
        return [str(s) for s in services.allowed_next(obj)]


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reject_reason = serializers.ChoiceField(choices=RejectReason.choices, required=False, allow_blank=True, default="")
    duplicate_of = serializers.PrimaryKeyRelatedField(queryset=Defect.objects.all(), required=False, allow_null=True)


class TransitionRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = DefectTransition
        fields = ["id", "from_status", "to_status", "actor", "comment", "at"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = DefectComment
        fields = ["id", "defect", "author", "text", "created_at"]
        read_only_fields = ["defect", "author", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DefectAttachment
        fields = ["id", "defect", "file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at",
                  "url"]
        read_only_fields = ["defect", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("defects:attachment", args=[obj.defect.project_id, obj.defect_id, obj.pk])


class TestCycleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CycleKind.choices, required=False)
    status = serializers.ChoiceField(choices=CycleStatus.choices, required=False)
    total = serializers.IntegerField(read_only=True)
    passed = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)
    blocked = serializers.IntegerField(read_only=True)
    not_run = serializers.IntegerField(read_only=True)
    pass_rate = serializers.SerializerMethodField()

    class Meta:
        model = TestCycle
        fields = ["id", "project", "name", "kind", "planned_start", "planned_end", "status", "total", "passed",
                  "failed", "blocked", "not_run", "pass_rate"]

    def get_pass_rate(self, obj) -> float:
        total = getattr(obj, "total", 0)
        return round(obj.passed * 100 / total, 1) if total else 0.0


class TestResultSerializer(serializers.ModelSerializer):
    case_code = serializers.CharField(source="case.code", read_only=True)
    case_title = serializers.CharField(source="case.title", read_only=True)

    class Meta:
        model = TestResult
        fields = ["id", "cycle", "case", "case_code", "case_title", "status", "executed_by", "executed_at", "note"]
        read_only_fields = fields


class ResultInputSerializer(serializers.Serializer):
    case = serializers.IntegerField(help_text="Test case id")
    status = serializers.ChoiceField(choices=ResultStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TestCaseSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CycleKind.choices, required=False)
    code = serializers.CharField(required=False, allow_blank=True, max_length=30)

    class Meta:
        model = TestCase
        fields = ["id", "project", "code", "title", "kind", "steps", "expected_result", "requirements"]
        extra_kwargs = {"requirements": {"required": False}}
        validators = []

