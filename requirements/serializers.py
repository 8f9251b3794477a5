"""Input shape and output of the requirements API. No rules here: services decide."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from projects.models import Department

from .models import (
    Interview,
    Priority,
    Question,
    QuestionKind,
    Requirement,
    RequirementConflict,
    RequirementReview,
    RequirementVersion,
    Survey,
    SurveyMethod,
    SurveyResponse,
)


class PriorityField(serializers.ChoiceField):
    default_error_messages = {
        "invalid_choice": _("Unknown priority “{input}”. Choose one of: must, should, could, wont."),
    }


class RequirementVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequirementVersion
        fields = ["number", "title", "description", "acceptance_criteria", "priority", "department_name",
                  "created_by", "created_at"]


class RequirementReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequirementReview
        fields = ["id", "version", "reviewer", "decision", "comment", "decided_at"]


class RequirementSerializer(serializers.ModelSerializer):
    def get_open_conflicts(self, obj) -> int | None:
        return getattr(obj, "open_conflicts", None)

    priority = PriorityField(choices=Priority.choices, required=False, default=Priority.SHOULD)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False,
                                                    allow_null=True)
    # Annotated by the list selector; null where the object was not loaded through it.
    open_conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Requirement
        fields = ["id", "project", "code", "title", "description", "acceptance_criteria", "department", "priority",
                  "status", "version", "author", "source_answer", "source_interview", "submitted_at", "created_at",
                  "updated_at", "open_conflicts"]
        read_only_fields = ["code", "status", "version", "author", "source_answer", "source_interview",
                            "submitted_at", "created_at", "updated_at"]
        extra_kwargs = {"description": {"required": False, "allow_blank": True},
                        "acceptance_criteria": {"required": False, "allow_blank": True}}


class RequirementDetailSerializer(RequirementSerializer):
    versions = RequirementVersionSerializer(many=True, read_only=True)
    reviews = RequirementReviewSerializer(many=True, read_only=True)

    class Meta(RequirementSerializer.Meta):
        fields = RequirementSerializer.Meta.fields + ["versions", "reviews"]


class ReviewCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ConflictSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequirementConflict
        fields = ["id", "project", "first", "second", "note", "status", "resolution", "created_by", "created_at",
                  "resolved_by", "resolved_at"]
        read_only_fields = ["project", "status", "resolution", "created_by", "created_at", "resolved_by",
                            "resolved_at"]
        validators = []


class ConflictCreateSerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(allow_blank=True)


class QuestionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    class Meta:
        model = Question
        fields = ["id", "order", "text", "kind", "choices", "required"]
        extra_kwargs = {"order": {"required": False}}


class SurveySerializer(serializers.ModelSerializer):
    method = serializers.ChoiceField(choices=SurveyMethod.choices, default=SurveyMethod.QUESTIONNAIRE)
    departments = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), many=True, required=False)
    questions = QuestionSerializer(many=True, read_only=True)
    response_count = serializers.SerializerMethodField()

    def get_response_count(self, obj) -> int | None:
        return getattr(obj, "response_count", None)

    class Meta:
        model = Survey
        fields = ["id", "project", "title", "description", "method", "status", "departments", "due_date", "owner",
                  "created_at", "closed_at", "response_count", "questions"]
        read_only_fields = ["status", "owner", "created_at", "closed_at"]


class AnswerItemSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    value = serializers.JSONField(allow_null=True)


class AnswersSerializer(serializers.Serializer):
    answers = AnswerItemSerializer(many=True)


class SurveyResponseSerializer(serializers.ModelSerializer):
    answers = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = ["id", "survey", "respondent", "department", "submitted_at", "updated_at", "answers"]

    def get_answers(self, obj) -> list[dict]:
        out = []
        for a in obj.answers.all():
            value = a.text if a.text else (a.scale if a.scale else a.selected)
            out.append({"id": a.pk, "question": a.question_id, "value": value})
        return out


class InterviewSerializer(serializers.ModelSerializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False,
                                                    allow_null=True)

    class Meta:
        model = Interview
        fields = ["id", "survey", "interviewer", "interviewees", "department", "held_on", "notes"]
        read_only_fields = ["survey"]
        extra_kwargs = {"interviewer": {"required": False}}
