"""Serializers of lessons learned and go/no-go decisions (shape only; services hold the rules)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from .models import GoNoGoDecision, GoNoGoSignOff, Lesson, LessonAction, LessonActionStatus, LessonKind

User = get_user_model()


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


class SignOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = GoNoGoSignOff
        fields = ["id", "role", "user", "verdict", "comment", "signed_at"]


class GoNoGoDecisionSerializer(serializers.ModelSerializer):
    signoffs = SignOffSerializer(many=True, read_only=True)
    final_verdict = serializers.CharField(read_only=True)  # go | no_go | go_with_conditions, "" while open

    class Meta:
        model = GoNoGoDecision
        fields = ["id", "project", "title", "meeting_at", "status", "required_roles", "score", "ready", "evidence",
                  "final_verdict", "conditions", "decided_by", "decided_at", "opened_by", "signoffs"]
        read_only_fields = fields
