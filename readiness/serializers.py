"""Serializers of the scorecard and the go/no-go decisions (shape only; services hold the rules)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import (
    ActionStatus,
    GoNoGoDecision,
    GoNoGoSignOff,
    Meeting,
    MeetingAction,
    MeetingDecision,
    MeetingKind,
    Risk,
    RiskCategory,
    RiskLevel,
    RiskStatus,
    Verdict,
)
from .selectors import evidence_rows


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
    unit = serializers.ChoiceField(choices=["percent", "at_most", "at_least", "yes_no"],
                                   help_text="How value and target compare: a share, a count at most or at least the "
                                             "target, or yes/no.")
    credit = serializers.FloatField(help_text="The share of its weight the criterion earns in the score (0–1).")


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
                  "final_verdict", "conditions", "override_reason", "decided_by", "decided_at", "opened_by",
                  "signoffs"]
        read_only_fields = fields

    def to_representation(self, instance):
        """The evidence's values as frozen; each criterion's label, explanation and display in the
        language of the request (`display_label` added), like the meeting's page."""
        data = super().to_representation(instance)
        if isinstance(data.get("evidence"), dict) and data["evidence"].get("criteria"):
            data["evidence"] = {**data["evidence"], "criteria": evidence_rows(instance)}
        return data


class GoNoGoFinalizeSerializer(serializers.Serializer):
    """The manager's final decision, e-signed with their password. A go while mandatory criteria of
    the frozen evidence fail needs `override_reason` (400 naming it otherwise). `decision` is
    accepted as another name for `verdict`."""

    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    decision = serializers.ChoiceField(choices=Verdict.choices, required=False, write_only=True)
    conditions = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False,
                                     style={"input_type": "password"})

    def validate(self, attrs):
        verdict, alias = attrs.pop("verdict", None), attrs.pop("decision", None)
        if verdict and alias and verdict != alias:
            raise serializers.ValidationError({"verdict": [_("verdict and decision disagree: send one of them.")]})
        if not (verdict or alias):
            raise serializers.ValidationError({"verdict": [_("This field is required.")]})
        attrs["verdict"] = verdict or alias
        return attrs


class RiskSerializer(serializers.ModelSerializer):
    """A risk of the register. `score` (likelihood × impact) and `level` are the server's."""

    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=RiskCategory.choices)
    likelihood = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    owner = serializers.IntegerField(source="owner_id", min_value=1, max_value=2 ** 53)
    mitigation = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    trigger = serializers.CharField(required=False, allow_blank=True, max_length=500)
    due = serializers.DateField(required=False, allow_null=True)
    review_on = serializers.DateField(required=False, allow_null=True)
    level = serializers.ChoiceField(choices=RiskLevel.choices, read_only=True)
    status = serializers.ChoiceField(choices=RiskStatus.choices, read_only=True)

    class Meta:
        model = Risk
        fields = ["id", "project", "title", "category", "likelihood", "impact", "score", "level", "owner",
                  "mitigation", "trigger", "due", "review_on", "reviewed_at", "status", "status_note",
                  "incident_url", "created_by", "created_at", "updated_at"]
        read_only_fields = ["project", "score", "reviewed_at", "status_note", "incident_url", "created_by",
                            "created_at", "updated_at"]


class RiskTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=RiskStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    incident_url = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RiskReviewSerializer(serializers.Serializer):
    next_review_on = serializers.DateField()
    likelihood = serializers.IntegerField(min_value=1, max_value=5, required=False)
    impact = serializers.IntegerField(min_value=1, max_value=5, required=False)


class MeetingDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingDecision
        fields = ["id", "text", "recorded_by", "recorded_at"]
        read_only_fields = fields


class UserIdsField(serializers.ListField):
    """User ids in, user ids out (a many-to-many read from the prefetched rows, sorted)."""

    child = serializers.IntegerField(min_value=1, max_value=2 ** 53)

    def to_representation(self, data):
        return sorted(u.pk for u in data.all())


class MeetingSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    title = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=50000)
    attendees = UserIdsField(required=False, max_length=1000)
    decisions = MeetingDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "project", "kind", "held_at", "title", "notes", "attendees", "decisions", "created_by",
                  "created_at"]
        read_only_fields = ["project", "created_by", "created_at"]


class MeetingDecisionCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class StandupSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=2 ** 53)


class MeetingActionSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="meeting_id", min_value=1, max_value=2 ** 53)
    text = serializers.CharField(max_length=500)
    owner = serializers.IntegerField(source="owner_id", min_value=1, max_value=2 ** 53)
    status = serializers.ChoiceField(choices=ActionStatus.choices, required=False)

    class Meta:
        model = MeetingAction
        fields = ["id", "meeting", "project", "text", "owner", "due", "status", "done_at", "created_by", "created_at"]
        read_only_fields = ["project", "done_at", "created_by", "created_at"]
