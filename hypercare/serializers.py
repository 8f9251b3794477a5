"""API shapes of staff feedback and lessons learned (input shape only; services hold the rules)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from defects.models import Defect, Severity

from .models import (
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    Feedback,
    FeedbackCategory,
    Lesson,
    LessonAction,
    LessonActionStatus,
    LessonKind,
    TriageOutcome,
)

User = get_user_model()


class FeedbackSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    category = serializers.ChoiceField(choices=FeedbackCategory.choices)
    defect_key = serializers.SerializerMethodField()
    has_screenshot = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = ["id", "key", "project", "submitter", "category", "text", "page_url", "has_screenshot", "status",
                  "outcome", "triage_note", "defect", "defect_key", "triaged_by", "triaged_at", "answer",
                  "answered_by", "answered_at", "created_at"]
        read_only_fields = ["submitter", "status", "outcome", "triage_note", "defect", "triaged_by", "triaged_at",
                            "answer", "answered_by", "answered_at", "created_at"]
        extra_kwargs = {"page_url": {"required": False, "allow_blank": True}}

    def get_defect_key(self, obj) -> str | None:
        return obj.defect.key if obj.defect_id else None

    def get_has_screenshot(self, obj) -> bool:
        return bool(obj.screenshot)


class TriageSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=TriageOutcome.choices)
    answer = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.MINOR)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    close = serializers.BooleanField(required=False, default=False)


class LessonSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LessonKind.choices)
    votes = serializers.IntegerField(source="vote_count", read_only=True, default=0)
    voted = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Lesson
        fields = ["id", "project", "kind", "text", "author", "votes", "voted", "created_at"]
        read_only_fields = ["author", "created_at"]


class LessonVoteSerializer(serializers.Serializer):
    vote = serializers.BooleanField(required=False, allow_null=True, default=None)


class LessonActionSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    status = serializers.ChoiceField(choices=LessonActionStatus.choices, required=False)

    class Meta:
        model = LessonAction
        fields = ["id", "project", "lesson", "title", "owner", "due_date", "status", "done_at", "created_at"]
        read_only_fields = ["done_at", "created_at"]


class ComplaintSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices)
    customers_affected = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                                  max_value=100_000_000)
    received_at = serializers.DateTimeField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                               allow_null=True)
    defect = serializers.PrimaryKeyRelatedField(queryset=Defect.objects.all(), required=False, allow_null=True,
                                                help_text="The defect or incident (a defect found in hypercare) "
                                                          "behind the complaint, of the same project.")
    defect_key = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = ["id", "key", "project", "channel", "category", "description", "customers_affected", "received_at",
                  "status", "owner", "defect", "defect_key", "resolution", "resolved_at", "created_by", "created_at"]
        read_only_fields = ["status", "resolution", "resolved_at", "created_by", "created_at"]

    def get_defect_key(self, obj) -> str | None:
        return obj.defect.key if obj.defect_id else None


class ComplaintTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ComplaintStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
