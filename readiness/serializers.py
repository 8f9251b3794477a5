"""Serializers of the scorecard and the go/no-go decisions (shape only; services hold the rules)."""

from rest_framework import serializers

from .models import GoNoGoDecision, GoNoGoSignOff


class ReadinessCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField()
    target = serializers.FloatField()
    passed = serializers.BooleanField()
    weight = serializers.IntegerField()
    mandatory = serializers.BooleanField()
    area = serializers.CharField()
    explanation = serializers.CharField()
    url = serializers.CharField(allow_null=True)
    display = serializers.CharField(allow_null=True)
    total = serializers.FloatField(allow_null=True)


class ReadinessSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    ready = serializers.BooleanField()
    criteria = ReadinessCriterionSerializer(many=True)
    blockers = serializers.ListField(child=serializers.CharField())



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
