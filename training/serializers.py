from django.contrib.auth import get_user_model
from rest_framework import serializers

from projects.models import Department, Role

from .models import Course, CourseMaterial, Enrolment, EnrolmentStatus, Mode, Session

User = get_user_model()


class CourseMaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourseMaterial
        fields = ["id", "title", "link", "file"]


class CourseSerializer(serializers.ModelSerializer):
    required_roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False)
    required_departments = serializers.PrimaryKeyRelatedField(many=True, queryset=Department.objects.all(),
                                                              required=False)
    materials = CourseMaterialSerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = ["id", "project", "title", "description", "duration_minutes", "required_roles",
                  "required_departments", "materials"]
        validators = []  # duplicates are refused by the service with a clear message


class SessionSerializer(serializers.ModelSerializer):
    mode = serializers.ChoiceField(choices=Mode.choices)
    trainer = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    capacity = serializers.IntegerField()  # range checked by the service (clear message)
    signup_deadline = serializers.DateTimeField(required=False)
    seats_taken = serializers.IntegerField(read_only=True)
    seats_left = serializers.SerializerMethodField()
    waitlist_count = serializers.IntegerField(read_only=True)
    my_status = serializers.CharField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Session
        fields = ["id", "project", "course", "trainer", "mode", "location", "starts_at", "ends_at", "capacity",
                  "signup_deadline", "seats_taken", "seats_left", "waitlist_count", "my_status"]
        read_only_fields = ["project"]

    def get_seats_left(self, obj) -> int:
        return max(0, obj.capacity - (getattr(obj, "seats_taken", 0) or 0))


class EnrolmentSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "session", "user", "username", "status", "waitlist_position", "created_at", "enrolled_at",
                  "cancelled_at", "attendance_marked_at"]
        read_only_fields = fields


class EnrolRequestSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                              help_text="Someone else (trainers and managers only); default: me.")


class EnrolResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=EnrolmentStatus.choices)
    waitlist_position = serializers.IntegerField(allow_null=True)


class AttendanceMarkSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT])


class AttendanceSerializer(serializers.Serializer):
    attendance = AttendanceMarkSerializer(many=True, allow_empty=False)
