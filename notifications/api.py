"""REST API: `/api/v1/notifications/` (the caller's own only) and `POST …/{id}/read/`; chat channels
(`channels/`, managers), escalation policies (`escalation-policies/`, ops and managers) and alerts
(`alerts/`, posted by ops members and their monitoring tools; `…/{id}/ack/`, `…/{id}/resolve/`)."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from projects.api_base import require
from projects.selectors import project_get_for_user

from . import selectors, services
from .models import ChannelMessageStatus, EscalationPolicy, Notification
from .serializers import (
    AlertResolveSerializer,
    AlertSerializer,
    ChannelSerializer,
    ChannelTestResultSerializer,
    EscalationPolicySerializer,
    NotificationSerializer,
    ReadAllResultSerializer,
    ReadAllSerializer,
)


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="unread")

    class Meta:
        model = Notification
        fields = ["project", "kind", "unread", "email_status"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your notifications, unread first. Nobody can list or read another person's."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "due_at"]

    def get_queryset(self):
        return selectors.inbox_for_user(user=self.request.user)

    def get_object(self):
        return selectors.notification_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        if request.query_params.get("project"):
            project_get_for_user(user=request.user, pk=request.query_params["project"])  # non-member: 404
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=ReadAllSerializer, responses=ReadAllResultSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        serializer = ReadAllSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project_id = serializer.validated_data.get("project")
        project = project_get_for_user(user=request.user, pk=project_id) if project_id else None
        count = services.notification_mark_all_read(actor=request.user, project=project)
        return Response({"marked": count})


# --- chat channels, escalation policies, alerts ---------------------------------------------

def _project_from(request, raw):
    """The project named in a body or query: 400 when it is not a number, 404 when not the caller's."""
    if raw in (None, ""):
        raise ValidationError({"project": [_("This field is required.")]})
    if isinstance(raw, bool):
        raise ValidationError({"project": [_("A valid integer is required.")]})
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({"project": [_("A valid integer is required.")]}) from None
    return project_get_for_user(user=request.user, pk=pk)


class _ProjectListMixin:
    """`?project=` must be a project the caller belongs to (404 otherwise) where they hold `rule` (403)."""

    list_rule = None

    def list(self, request, *args, **kwargs):
        raw = request.query_params.get("project")
        if raw not in (None, ""):
            project = _project_from(request, raw)
            if self.list_rule:
                require(request.user, self.list_rule, project)
        return super().list(request, *args, **kwargs)


class ChannelViewSet(_ProjectListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Chat-robot channels of the projects you manage. `secret` is write-only."""

    serializer_class = ChannelSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "kind", "active"]
    list_rule = "notifications.manage_channels"

    def get_queryset(self):
        return selectors.channel_list_for_user(user=self.request.user)

    def get_object(self):
        channel = selectors.channel_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        require(self.request.user, "notifications.manage_channels", channel.project)
        return channel

    def create(self, request, *args, **kwargs):
        project = _project_from(request, request.data.get("project") if hasattr(request.data, "get") else None)
        require(request.user, "notifications.manage_channels", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = services.channel_create(actor=request.user, project=project, **serializer.validated_data)
        return Response(self.get_serializer(channel).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        channel = self.get_object()
        serializer = self.get_serializer(channel, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        channel = services.channel_update(actor=request.user, channel=channel, **serializer.validated_data)
        return Response(self.get_serializer(channel).data)

    def destroy(self, request, *args, **kwargs):
        services.channel_delete(actor=request.user, channel=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ChannelTestResultSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message now (through the outbox); says whether the platform accepted it."""
        message, report = services.channel_test(actor=request.user, channel=self.get_object())
        if message.status == ChannelMessageStatus.SENT:
            return Response({"status": "sent", "detail": _("The platform accepted the test message."),
                             "message": message.pk})
        if report.wait_until:
            detail = _("The rate limit is reached; the test message goes out at %(t)s.") % {
                "t": report.wait_until.isoformat()}
            return Response({"status": "pending", "detail": detail, "message": message.pk},
                            status=status.HTTP_202_ACCEPTED)
        return Response({"status": "failed", "message": message.pk,
                         "detail": _("The platform did not accept the test message: %(e)s") % {
                             "e": message.error or "—"}}, status=status.HTTP_502_BAD_GATEWAY)


class EscalationPolicyViewSet(_ProjectListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                              viewsets.GenericViewSet):
    """Escalation policies (ops and managers): `steps: [{wait_minutes, target}]`."""

    serializer_class = EscalationPolicySerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project"]
    list_rule = "notifications.manage_escalation"

    def get_queryset(self):
        return selectors.policy_list_for_user(user=self.request.user)

    def get_object(self):
        policy = selectors.policy_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        require(self.request.user, "notifications.manage_escalation", policy.project)
        return policy

    def create(self, request, *args, **kwargs):
        project = _project_from(request, request.data.get("project") if hasattr(request.data, "get") else None)
        require(request.user, "notifications.manage_escalation", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = services.policy_create(actor=request.user, project=project, **serializer.validated_data)
        return Response(self.get_serializer(policy).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        policy = self.get_object()
        serializer = self.get_serializer(policy, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        policy = services.policy_update(actor=request.user, policy=policy, **serializer.validated_data)
        return Response(self.get_serializer(policy).data)

    def destroy(self, request, *args, **kwargs):
        services.policy_delete(actor=request.user, policy=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertViewSet(_ProjectListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Alerts: monitoring tools post them with an ops member's token; `ack` stops the escalation."""

    serializer_class = AlertSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "status", "severity", "source"]
    ordering_fields = ["triggered_at"]

    def get_queryset(self):
        return selectors.alert_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.alert_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(responses={201: AlertSerializer, 200: OpenApiResponse(
        AlertSerializer, description="The same alert was already open: it is returned, not duplicated.")})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = _project_from(request, data["project_id"])
        require(request.user, "notifications.trigger_alert", project)
        policy = None
        if data.get("policy_id"):
            policy = EscalationPolicy.objects.filter(pk=data["policy_id"], project=project).first()
            if policy is None:
                raise ValidationError({"policy": [_("This project has no escalation policy with that id.")]})
        alert, created = services.alert_trigger(
            actor=request.user, project=project, title=data["title"], severity=data.get("severity", "warning"),
            source=data.get("source", ""), policy=policy)
        alert = selectors.alert_get_for_user(user=request.user, pk=alert.pk)
        return Response(self.get_serializer(alert).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def ack(self, request, pk=None):
        alert = self.get_object()
        require(request.user, "notifications.respond_alert", alert)
        services.alert_acknowledge(actor=request.user, alert=alert)
        return Response(self.get_serializer(selectors.alert_get_for_user(user=request.user, pk=alert.pk)).data)

    @extend_schema(request=AlertResolveSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        alert = self.get_object()
        require(request.user, "notifications.respond_alert", alert)
        serializer = AlertResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.alert_resolve(actor=request.user, alert=alert, note=serializer.validated_data["note"])
        return Response(self.get_serializer(selectors.alert_get_for_user(user=request.user, pk=alert.pk)).data)
