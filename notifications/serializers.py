from rest_framework import serializers

from .models import Notification
from .selectors import kind_label


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    unread = serializers.BooleanField(read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True, default=None)

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
