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
    FindingSeverity,
    FindingStatus,
    FoundIn,
    PerfRun,
    PerfTarget,
    PerfTool,
    Priority,
    RejectReason,
    ResultStatus,
    SecurityFinding,
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
    # Filing with files in one multipart post (field repeated); vetted like …/attachments/, all or nothing.
    attachments = serializers.ListField(child=serializers.FileField(), write_only=True, required=False,
                                        max_length=services.MAX_FILING_ATTACHMENTS,
                                        help_text="Files to attach when filing (multipart; only on create).")

    class Meta:
        model = Defect
        fields = ["id", "project", "number", "key", "title", "severity", "priority", "category", "environment",
                  "steps", "expected_result", "actual_result", "status", "found_in", "cycle", "test_result",
                  "requirement", "assignee", "reporter", "duplicate_of", "reject_reason", "customers_affected",
                  "branches_affected", "incident_started_at", "resolved_at", "triage_due_at", "fix_due_at",
                  "overdue", "reopen_count", "created_at", "triaged_at", "fixed_at", "closed_at", "updated_at",
                  "allowed_transitions", "attachments"]
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
    error = serializers.IntegerField(read_only=True)
    skipped = serializers.IntegerField(read_only=True)
    not_run = serializers.IntegerField(read_only=True)
    pass_rate = serializers.SerializerMethodField()
    # The scope, when the cycle is planned: cases by hand and/or by requirement, department or tag.
    cases = serializers.ListField(child=serializers.IntegerField(min_value=1), write_only=True, required=False,
                                  max_length=10_000, help_text="Test case ids: the cycle runs exactly these (and "
                                                                "those chosen by requirements, departments, tags)")
    requirements = serializers.ListField(child=serializers.IntegerField(min_value=1), write_only=True,
                                         required=False, max_length=1000)
    departments = serializers.ListField(child=serializers.IntegerField(min_value=1), write_only=True,
                                        required=False, max_length=200)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), write_only=True, required=False,
                                 max_length=20)

    class Meta:
        model = TestCycle
        fields = ["id", "project", "name", "kind", "planned_start", "planned_end", "status", "scope", "total",
                  "passed", "failed", "blocked", "error", "skipped", "not_run", "pass_rate", "cases", "requirements",
                  "departments", "tags"]
        read_only_fields = ["scope"]

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
    case = serializers.IntegerField(help_text="Test case id", min_value=1)
    status = serializers.ChoiceField(choices=ResultStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TestCaseSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=CycleKind.choices, required=False)
    code = serializers.CharField(required=False, allow_blank=True, max_length=30)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=20)
    active = serializers.BooleanField(required=False)
    automation_key = serializers.CharField(required=False, allow_blank=True, max_length=500)

    class Meta:
        model = TestCase
        fields = ["id", "project", "code", "title", "kind", "steps", "expected_result", "requirements", "tags",
                  "active", "automation_key", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"requirements": {"required": False}, "title": {"max_length": 300}}
        validators = []


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The report file (multipart)")


class JUnitImportResultSerializer(serializers.Serializer):
    cases_created = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    error = serializers.IntegerField()
    skipped = serializers.IntegerField()
    unknown_requirements = serializers.ListField(child=serializers.CharField())


# ---------------------------------------------------------------- performance

class PerfTargetSerializer(serializers.ModelSerializer):
    transaction = serializers.CharField(max_length=200)
    p95_ms = serializers.IntegerField(min_value=1, max_value=3_600_000)
    min_tps = serializers.FloatField(min_value=0.001, max_value=1_000_000, required=False, allow_null=True)
    max_error_rate = serializers.FloatField(min_value=0, max_value=100, required=False, default=1.0)

    class Meta:
        model = PerfTarget
        fields = ["id", "project", "transaction", "requirement", "p95_ms", "min_tps", "max_error_rate", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"requirement": {"required": False, "allow_null": True}}
        validators = []


class PerfResultSerializer(serializers.Serializer):
    transaction = serializers.CharField()
    samples = serializers.IntegerField()
    p95_ms = serializers.FloatField()
    tps = serializers.FloatField(allow_null=True)
    error_rate = serializers.FloatField(help_text="Percent of samples that failed")
    passed = serializers.BooleanField(allow_null=True, help_text="Against the target; null when it has none")
    target = serializers.SerializerMethodField()

    def get_target(self, obj) -> int | None:
        target = getattr(obj, "target", None)
        return target.pk if target else None


class PerfRunSerializer(serializers.ModelSerializer):
    tool = serializers.ChoiceField(choices=PerfTool.choices)
    name = serializers.CharField(max_length=200)
    transactions = serializers.SerializerMethodField()

    class Meta:
        model = PerfRun
        fields = ["id", "project", "name", "tool", "cycle", "file_name", "imported_at", "imported_by", "created_at",
                  "transactions"]
        read_only_fields = ["file_name", "imported_at", "imported_by", "created_at"]
        extra_kwargs = {"cycle": {"required": False, "allow_null": True}}

    def get_transactions(self, obj) -> list[dict]:
        from .selectors import judged_results

        targets = self.context.get("targets", {}).get(obj.project_id)
        return PerfResultSerializer(judged_results(obj, targets), many=True).data


class PerfImportResultSerializer(serializers.Serializer):
    transactions = PerfResultSerializer(many=True)


# ---------------------------------------------------------------- security findings

class SecurityFindingSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    severity = serializers.ChoiceField(choices=FindingSeverity.choices)
    title = serializers.CharField(max_length=300)
    cwe = serializers.IntegerField(min_value=1, max_value=99_999, required=False, allow_null=True)
    cvss_vector = serializers.CharField(max_length=200, required=False, allow_blank=True)
    component = serializers.CharField(max_length=300, required=False, allow_blank=True)
    location = serializers.CharField(max_length=500, required=False, allow_blank=True)
    solution = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    description = serializers.CharField(max_length=50_000)
    overdue = serializers.SerializerMethodField()
    acceptance_pending = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = SecurityFinding
        fields = ["id", "project", "number", "key", "title", "severity", "cwe", "cvss_vector", "cvss_score",
                  "component", "location", "description", "solution", "status", "status_note", "source",
                  "import_count", "last_seen_at", "due_date", "overdue", "reported_by", "defect", "risk_reason",
                  "risk_expires_on", "risk_requested_by", "risk_requested_at", "risk_approved_by",
                  "risk_approved_at", "acceptance_pending", "fixed_at", "verified_at", "created_at", "updated_at",
                  "allowed_transitions"]
        read_only_fields = ["number", "cvss_score", "status", "status_note", "source", "import_count",
                            "last_seen_at", "due_date", "reported_by", "defect", "risk_reason", "risk_expires_on",
                            "risk_requested_by", "risk_requested_at", "risk_approved_by", "risk_approved_at",
                            "fixed_at", "verified_at", "created_at", "updated_at"]

    def get_overdue(self, obj) -> bool:
        today = timezone.localdate()
        return bool(obj.due_date and obj.due_date < today and obj.status in ("open", "fixed"))

    def get_allowed_transitions(self, obj) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [str(s) for s in services.finding_allowed_next(obj, request.user)]


class FindingTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=FindingStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class AcceptanceRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)
    expires_on = serializers.DateField()


class CommentOnlySerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class FindingToDefectSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class FindingImportSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    tool = serializers.ChoiceField(choices=[("zap", "OWASP ZAP JSON"), ("bandit", "bandit JSON")])
    file = serializers.FileField()


class FindingImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    reopened = serializers.IntegerField()
    total = serializers.IntegerField()
