"""API of readiness: the scorecard (/api/v1/projects/{id}/readiness/) and the go/no-go records
(/api/v1/gonogo-decisions/, read-only: sign on the page, with the password as e-signature) and the
risk register (/api/v1/risks/ + transition, review). Thin."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from projects.api_base import ProjectFilterMixin, call, require
from projects.selectors import project_get_for_user

from . import registry, selectors, services
from .models import LEVEL_BOUNDS, Risk, RiskLevel
from .serializers import (
    GoNoGoDecisionSerializer,
    ReadinessSerializer,
    RiskReviewSerializer,
    RiskSerializer,
    RiskTransitionSerializer,
)

User = get_user_model()


@extend_schema(responses=ReadinessSerializer, operation_id="projects_readiness_retrieve")
@api_view(["GET"])
def project_readiness(request, pk):
    """The project's scorecard now: {score, ready, criteria: [...], blockers: [keys]}."""
    project = project_get_for_user(user=request.user, pk=pk)
    return Response(registry.freeze(selectors.scorecard(project)))


class GoNoGoDecisionViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Go/no-go meetings with their frozen evidence and sign-offs (read-only: sign on the page)."""

    serializer_class = GoNoGoDecisionSerializer
    filterset_fields = ["project", "status", "final_verdict"]
    ordering_fields = ["meeting_at"]

    def get_queryset(self):
        return selectors.decision_list_for_user(user=self.request.user)


def _int_field(data, name):
    """An id from the body: 400 naming the field when missing or not a whole number."""
    raw = data.get(name) if hasattr(data, "get") else None
    if raw in (None, "") or isinstance(raw, bool):
        raise ValidationError({name: [_("This field is required.") if raw in (None, "") else
                                      _("A valid integer is required.")]})
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("A valid integer is required.")]}) from None


def _user(user_id, field="owner"):
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no user with id %(id)s.") % {"id": user_id}]})
    return user


class RiskFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=RiskLevel.choices, method="filter_level")

    class Meta:
        model = Risk
        fields = ["project", "category", "status", "owner", "likelihood", "impact"]

    def filter_level(self, queryset, name, value):
        for level, low, high in LEVEL_BOUNDS:
            if level == value:
                return queryset.filter(score__gte=low, score__lte=high)
        return queryset


class RiskViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The risk register `{project, title, category, likelihood 1-5, impact 1-5, owner, mitigation, trigger,
    due?, review_on?}`; managers enter and edit risks, owners work theirs. Never deleted: close it instead."""

    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    ordering_fields = ["score", "review_on", "due", "created_at"]

    def get_queryset(self):
        return selectors.risk_list_for_user(user=self.request.user)

    def get_object(self):
        risk = selectors.risk_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        require(self.request.user, "readiness.risk_view", risk.project)
        return risk

    def create(self, request, *args, **kwargs):
        project = project_get_for_user(user=request.user, pk=_int_field(request.data, "project"))
        require(request.user, "readiness.risk_manage", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["owner"] = _user(data.pop("owner_id"))
        risk = call(services.risk_create, actor=request.user, project=project, **data)
        return Response(self.get_serializer(risk).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        risk = self.get_object()
        require(request.user, "readiness.risk_work", risk)
        serializer = self.get_serializer(risk, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "project" in request.data and str(request.data.get("project")) != str(risk.project_id):
            raise ValidationError({"project": [_("A risk cannot move to another project.")]})
        if "owner_id" in data:
            data["owner"] = _user(data.pop("owner_id"))
        risk = call(services.risk_update, actor=request.user, risk=risk, **data)
        return Response(self.get_serializer(risk).data)

    @extend_schema(request=RiskTransitionSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"], serializer_class=RiskTransitionSerializer)
    def transition(self, request, pk=None):
        risk = self.get_object()
        require(request.user, "readiness.risk_work", risk)
        serializer = RiskTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = call(services.risk_transition, actor=request.user, risk=risk, **serializer.validated_data)
        return Response(RiskSerializer(risk).data)

    @extend_schema(request=RiskReviewSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"], serializer_class=RiskReviewSerializer)
    def review(self, request, pk=None):
        risk = self.get_object()
        require(request.user, "readiness.risk_work", risk)
        serializer = RiskReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = call(services.risk_review, actor=request.user, risk=risk, **serializer.validated_data)
        return Response(RiskSerializer(risk).data)
