from django.conf import settings
from rest_framework import serializers

from .models import Alert, AlertEvent, AlertSeverity, Channel, ChannelKind, EscalationPolicy, Notification
from .selectors import kind_label


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    unread = serializers.BooleanField(read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True, default=None)
    # Rendered for the reader: in the language of this request (Accept-Language, the language cookie).
    message = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "project", "project_code", "kind", "kind_label", "message", "url", "due_at", "created_at",
                  "read_at", "unread", "email_status", "email_sent_at"]
        read_only_fields = fields

    def get_kind_label(self, obj) -> str:
        return str(kind_label(obj.kind))


class ReadAllSerializer(serializers.Serializer):
    project = serializers.IntegerField(required=False, allow_null=True)


class ReadAllResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class ChannelSerializer(serializers.ModelSerializer):
    """The secret is write-only: it is never shown back, only whether one is set."""

    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    url = serializers.CharField(max_length=500)
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True,
                                   trim_whitespace=True)
    has_secret = serializers.SerializerMethodField()
    events = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=100)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)

    class Meta:
        model = Channel
        fields = ["id", "project", "name", "kind", "url", "secret", "has_secret", "events", "language", "active",
                  "secret_changed_at", "created_at"]
        read_only_fields = ["project", "secret_changed_at", "created_at"]
        validators = []

    def get_has_secret(self, obj) -> bool:
        return bool(obj.secret)


class ChannelTestResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    detail = serializers.CharField()
    message = serializers.IntegerField()


class PolicyStepSerializer(serializers.Serializer):
    wait_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60)
    target = serializers.CharField(max_length=40)


class EscalationPolicySerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=120)
    steps = PolicyStepSerializer(many=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "project", "name", "steps", "created_at"]
        read_only_fields = ["project", "created_at"]
        validators = []


class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ["at", "kind", "step", "target", "user", "note"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", min_value=1, max_value=2 ** 53)
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=AlertSeverity.choices, required=False)
    source = serializers.CharField(max_length=120, required=False, allow_blank=True)
    policy = serializers.IntegerField(source="policy_id", min_value=1, max_value=2 ** 53, required=False,
                                      allow_null=True)
    events = AlertEventSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "project", "title", "severity", "source", "policy", "status", "steps", "level",
                  "next_escalation_at", "triggered_at", "triggered_by", "acknowledged_by", "acknowledged_at",
                  "resolved_by", "resolved_at", "events"]
        read_only_fields = ["status", "steps", "level", "next_escalation_at", "triggered_at", "triggered_by",
                            "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at"]


class AlertResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
