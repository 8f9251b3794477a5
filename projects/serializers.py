from django.contrib.auth import get_user_model
from rest_framework import serializers

from .hooks import WORK_KINDS
from .models import (
    AuditEntry,
    Department,
    Membership,
    Milestone,
    OnCallShift,
    Phase,
    Project,
    Raci,
    Responsibility,
    Role,
)
from .people import display_name

User = get_user_model()


class ProjectSerializer(serializers.ModelSerializer):
    my_roles = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "name", "code", "description", "go_live_at", "window_start", "window_end", "phase",
                  "hypercare_days", "my_roles"]

    def get_my_roles(self, obj) -> list[str]:
        from .access import roles_of

        request = self.context.get("request")
        return sorted(roles_of(request.user, obj)) if request else []

    def validate(self, attrs):
        # Shape only; the service enforces the window rule for updates that touch one side.
        return attrs


class ProjectCloneSerializer(serializers.ModelSerializer):
    """`POST /projects/{id}/clone/`: what the new project needs; everything else comes from the template."""

    class Meta:
        model = Project
        fields = ["name", "code", "go_live_at", "window_start", "window_end"]
        extra_kwargs = {"code": {"validators": []}}  # a taken code: the service's message


class PortfolioProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    go_live_at = serializers.DateTimeField()
    score = serializers.IntegerField(allow_null=True, help_text="Readiness score 0-100 (null: not computed yet).")
    ready = serializers.BooleanField(allow_null=True)
    blockers = serializers.IntegerField(allow_null=True, help_text="Mandatory readiness criteria that do not pass.")


class PortfolioConflictSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    projects = serializers.ListField(child=serializers.IntegerField())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class PortfolioSerializer(serializers.Serializer):
    projects = PortfolioProjectSerializer(many=True)
    conflicts = PortfolioConflictSerializer(many=True)


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=Role.choices)
    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "project", "user", "username", "full_name", "role", "department", "job_title", "phone"]
        read_only_fields = ["project"]
        validators = []  # duplicates are refused by the service with a clear message

    def get_full_name(self, obj) -> str:
        return display_name(obj.user)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Phone numbers for managers and ops (and each person their own): `see_contacts` in the context.
        request = self.context.get("request")
        if not self.context.get("see_contacts") and not (request and instance.user_id == request.user.pk):
            data["phone"] = ""
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        project = self.context.get("project")
        if project is not None:
            self.fields["department"].queryset = project.departments.all()


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "project", "name"]
        validators = []


class MilestoneSerializer(serializers.ModelSerializer):
    done = serializers.BooleanField(read_only=True)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)

    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "phase", "planned_date", "forecast_date", "actual_date", "owner", "done"]


class ResponsibilitySerializer(serializers.ModelSerializer):
    raci = serializers.ChoiceField(choices=Raci.choices)

    class Meta:
        model = Responsibility
        fields = ["id", "project", "area", "user", "raci"]
        validators = []


class ShiftSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnCallShift
        fields = ["id", "project", "user", "tier", "starts_at", "ends_at", "note"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class AuditEntrySerializer(serializers.ModelSerializer):
    """{at, actor, model, object_id, changes: {field: [old, new]}} (+ id, action, object)."""

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "model", "object_id", "object_repr", "action", "changes"]
        read_only_fields = fields


# ----- "my work" (GET /api/v1/me/work/) ----------------------------------------------------------

class MyWorkQuerySerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A project you are a member of.")


class MyWorkItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, k) for k in WORK_KINDS])
    id = serializers.IntegerField(help_text="The object's id (a cutover step: its runbook step's id, as in the "
                                            "runs API).")
    title = serializers.CharField()
    url = serializers.CharField(help_text="The page of the item (a path on this site).")
    due_at = serializers.DateTimeField(allow_null=True, help_text="When it is due; null when it has no deadline.")


class MyWorkSerializer(serializers.Serializer):
    items = MyWorkItemSerializer(many=True, help_text="Most urgent first (no due date last); at most 50 of each kind.")
    totals = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="How many open items of each kind there are in all (kinds with none "
                                             "are left out).")
