from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from projects.models import Department, Role

from .models import (
    ChangeImpact,
    Completion,
    Course,
    CourseMaterial,
    Enrolment,
    EnrolmentStatus,
    ImpactLevel,
    Mode,
    Module,
    ModuleKind,
    Question,
    Session,
)

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
    completion = serializers.ChoiceField(choices=Completion.choices, required=False)

    class Meta:
        model = Course
        fields = ["id", "project", "title", "description", "duration_minutes", "completion", "required_roles",
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


class ModuleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ModuleKind.choices)
    minutes = serializers.IntegerField(required=False)  # range checked by the service (clear message)
    pass_mark = serializers.IntegerField(required=False, allow_null=True)
    file = serializers.FileField(write_only=True, required=False)
    file_url = serializers.SerializerMethodField(help_text="Served only to members of the project.")
    question_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Module
        fields = ["id", "course", "title", "kind", "url", "file", "file_url", "minutes", "pass_mark", "position",
                  "question_count"]
        read_only_fields = ["position"]
        extra_kwargs = {"course": {"read_only": True}, "url": {"required": False}}

    def get_file_url(self, obj) -> str | None:
        if not obj.file:
            return None
        return reverse("training:module_file", args=[obj.course.project_id, obj.pk])


@extend_schema_serializer(component_name="QuizQuestion")  # "Question" is the survey's (requirements)
class QuestionSerializer(serializers.ModelSerializer):
    """What a learner sees of a question: never the correct choice."""

    choices = serializers.ListField(child=serializers.CharField(max_length=300), min_length=2, max_length=10)

    class Meta:
        model = Question
        fields = ["id", "text", "choices", "position"]
        read_only_fields = ["position"]


@extend_schema_serializer(component_name="QuizQuestionAuthor")
class QuestionAuthorSerializer(QuestionSerializer):
    """For trainers and managers: the correct choice too."""

    correct = serializers.IntegerField(min_value=0, max_value=9)

    class Meta(QuestionSerializer.Meta):
        fields = [*QuestionSerializer.Meta.fields, "correct"]


class QuizSerializer(serializers.Serializer):
    answers = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=9), allow_empty=False,
                                    max_length=200)


class QuizResultSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    passed = serializers.BooleanField()


class ModuleCompleteSerializer(serializers.Serializer):
    module = serializers.IntegerField()
    completed_at = serializers.DateTimeField()
    course_completed = serializers.BooleanField()


class MyRecordCourseSerializer(serializers.Serializer):
    course = serializers.IntegerField(source="course.pk")
    title = serializers.CharField(source="course.title")
    completion = serializers.CharField(source="course.completion")
    status = serializers.ChoiceField(choices=["completed", "in_progress", "not_started"])
    via = serializers.ChoiceField(choices=["session", "online"], allow_null=True)


class MyRecordSerializer(serializers.Serializer):
    courses = MyRecordCourseSerializer(many=True)


class ChangeImpactSerializer(serializers.ModelSerializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False,
                                                    allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True)
    impact = serializers.ChoiceField(choices=ImpactLevel.choices)
    covering_courses = serializers.SerializerMethodField(help_text="Required courses that cover the group.")
    affected_people = serializers.IntegerField(source="affected_count", read_only=True, default=None)
    trained_people = serializers.IntegerField(source="trained_count", read_only=True, default=None)

    class Meta:
        model = ChangeImpact
        fields = ["id", "project", "department", "role", "area", "change", "impact", "actions", "covering_courses",
                  "affected_people", "trained_people", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"actions": {"required": False, "allow_blank": True}}

    def get_covering_courses(self, obj) -> list[int]:
        return [c.pk for c in getattr(obj, "covering_courses", [])]
