"""REST API: `/api/v1/notifications/` (the caller's own only) and `POST …/{id}/read/`."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from projects.selectors import project_get_for_user

from . import selectors, services
from .models import Notification
from .serializers import NotificationSerializer, ReadAllResultSerializer, ReadAllSerializer


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
