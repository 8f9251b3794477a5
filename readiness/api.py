"""API of readiness: the scorecard (/api/v1/projects/{id}/readiness/) and the go/no-go records
(/api/v1/gonogo-decisions/, read-only: sign on the page, with the password as e-signature) and the
risk register (/api/v1/risks/ + transition, review). Thin."""

import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from projects.api_base import ProjectFilterMixin, call, require
from projects.selectors import project_get_for_user

from . import registry, selectors, services
from .models import LEVEL_BOUNDS, Risk, RiskLevel, StatusReport
from .serializers import (
    GoNoGoDecisionSerializer,
    GoNoGoFinalizeSerializer,
    MeetingActionSerializer,
    MeetingDecisionCreateSerializer,
    MeetingDecisionSerializer,
    MeetingSerializer,
    ReadinessSerializer,
    RiskReviewSerializer,
    RiskSerializer,
    RiskTransitionSerializer,
    StandupSerializer,
)

User = get_user_model()


@extend_schema(responses=ReadinessSerializer, operation_id="projects_readiness_retrieve")
@api_view(["GET"])
def project_readiness(request, pk):
    """The project's scorecard now: {score, ready, criteria: [...], blockers: [keys]}."""
    project = project_get_for_user(user=request.user, pk=pk)
    frozen = registry.freeze(selectors.scorecard(project))
    for row in frozen["criteria"]:
        row.pop("texts", None)  # how the sentences are stored, not part of the contract's shape
    return Response(frozen)


class GoNoGoDecisionViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Go/no-go meetings with their frozen evidence and sign-offs (sign-offs are given on the page);
    the manager records the final decision with `POST …/{id}/decide/`."""

    serializer_class = GoNoGoDecisionSerializer
    filterset_fields = ["project", "status", "final_verdict"]
    ordering_fields = ["meeting_at"]

    def get_queryset(self):
        return selectors.decision_list_for_user(user=self.request.user)

    @extend_schema(request=GoNoGoFinalizeSerializer, responses=GoNoGoDecisionSerializer)
    @action(detail=True, methods=["post"], serializer_class=GoNoGoFinalizeSerializer)
    def decide(self, request, pk=None):
        """The final decision `{verdict, conditions?, override_reason?, password}` (e-signed). 400 naming
        `override_reason` for a go while mandatory criteria of the frozen evidence fail without one."""
        decision = self.get_object()
        require(request.user, "readiness.gonogo_hold", decision.project)
        serializer = GoNoGoFinalizeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(services.gonogo_finalize, decision=decision, actor=request.user, **serializer.validated_data)
        return Response(GoNoGoDecisionSerializer(self.get_queryset().get(pk=decision.pk)).data)


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


def _users(ids, field):
    ids = list(dict.fromkeys(ids or []))
    found = User.objects.in_bulk(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({field: [_("There is no user with id %(id)s.") % {"id": missing[0]}]})
    return [found[i] for i in ids]


class MeetingViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Meetings `{project, kind (standup|review|cutover|retro|other), held_at, title, notes, attendees: [ids]}`
    with their decisions; `POST meetings/standup/ {project}` opens today's stand-up in one step."""

    serializer_class = MeetingSerializer
    filterset_fields = ["project", "kind"]
    ordering_fields = ["held_at"]

    def get_queryset(self):
        return selectors.meeting_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.meeting_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _fields(self, data):
        if "attendees" in data:
            data["attendees"] = _users(data["attendees"], "attendees")
        return data

    def create(self, request, *args, **kwargs):
        project = project_get_for_user(user=request.user, pk=_int_field(request.data, "project"))
        require(request.user, "readiness.meeting_hold", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meeting = call(services.meeting_create, actor=request.user, project=project,
                       **self._fields(dict(serializer.validated_data)))
        return Response(self.get_serializer(self.get_object_by(meeting.pk)).data, status=status.HTTP_201_CREATED)

    def get_object_by(self, pk):
        return selectors.meeting_get_for_user(user=self.request.user, pk=pk)

    def update(self, request, *args, **kwargs):
        meeting = self.get_object()
        require(request.user, "readiness.meeting_hold", meeting.project)
        serializer = self.get_serializer(meeting, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        call(services.meeting_update, actor=request.user, meeting=meeting,
             **self._fields(dict(serializer.validated_data)))
        return Response(self.get_serializer(self.get_object_by(meeting.pk)).data)

    @extend_schema(request=StandupSerializer, responses=MeetingSerializer)
    @action(detail=False, methods=["post"], serializer_class=StandupSerializer)
    def standup(self, request):
        project = project_get_for_user(user=request.user, pk=_int_field(request.data, "project"))
        require(request.user, "readiness.meeting_hold", project)
        meeting, created = call(services.standup_start, actor=request.user, project=project)
        return Response(MeetingSerializer(self.get_object_by(meeting.pk)).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=MeetingDecisionCreateSerializer, responses=MeetingDecisionSerializer)
    @action(detail=True, methods=["post"], serializer_class=MeetingDecisionCreateSerializer)
    def decisions(self, request, pk=None):
        meeting = self.get_object()
        require(request.user, "readiness.meeting_hold", meeting.project)
        serializer = MeetingDecisionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = call(services.meeting_decide, actor=request.user, meeting=meeting, **serializer.validated_data)
        return Response(MeetingDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class MeetingActionViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Actions of meetings `{meeting, text, owner, due}`, statuses open, done. The manager gives them
    out and edits them; the owner (or the manager) sets `status` with PATCH."""

    serializer_class = MeetingActionSerializer
    filterset_fields = ["project", "meeting", "owner", "status"]
    ordering_fields = ["due"]

    def get_queryset(self):
        return selectors.action_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.action_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        meeting = selectors.meeting_get_for_user(user=request.user, pk=_int_field(request.data, "meeting"))
        require(request.user, "readiness.meeting_hold", meeting.project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "project" in request.data and str(request.data["project"]) != str(meeting.project_id):
            raise ValidationError({"meeting": [_("That meeting belongs to another project.")]})
        action = call(services.action_create, actor=request.user, meeting=meeting, text=data["text"],
                      owner=_user(data["owner_id"]), due=data["due"])
        return Response(self.get_serializer(action).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        action = self.get_object()
        serializer = self.get_serializer(action, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("meeting_id", action.meeting_id) != action.meeting_id:
            raise ValidationError({"meeting": [_("An action cannot move to another meeting.")]})
        new_status = data.pop("status", None)
        changes = {k: data[k] for k in ("text", "due") if k in data}
        if "owner_id" in data:
            changes["owner"] = _user(data["owner_id"])
        with transaction.atomic():  # a refused status leaves the other changes unsaved too
            if changes:
                require(request.user, "readiness.meeting_hold", action.project)
                action = call(services.action_update, actor=request.user, action=action, **changes)
            if new_status is not None:
                require(request.user, "readiness.action_work", action)
                action = call(services.action_set_status, actor=request.user, action=action, status=new_status)
        return Response(self.get_serializer(action).data)


def _report_rows(data):
    yield from data["readiness"]["blockers"]
    for key in selectors.REPORT_SECTION_TITLES:
        yield from data[key]["criteria"]
        yield from data[key]["gauges"]


@extend_schema(responses=dict, operation_id="projects_status_report_retrieve")
@api_view(["GET"])
def project_status_report(request, pk):
    """This week's status report from the evidence: {readiness, schedule, defects, requirements,
    training, cutover, risks, actions, summary, sent_at}."""
    project = project_get_for_user(user=request.user, pk=pk)
    require(request.user, "readiness.report_view", project)
    today = timezone.localdate()
    draft = StatusReport.objects.filter(project=project, week_start=selectors.week_start(today)).first()
    data = selectors.status_report(project=project, today=today)
    for row in _report_rows(data):
        row.pop("texts", None)  # how the labels and sentences are stored for a sent report, not the contract's shape
    data["summary"] = draft.summary if draft else ""
    data["sent_at"] = draft.sent_at if draft and draft.sent_at else None
    return Response(data)
