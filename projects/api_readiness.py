"""API of lessons learned (/api/v1/lessons/, /api/v1/lesson-actions/) and go/no-go records (read-only)."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import lessons, selectors
from .api_base import ProjectScopedViewSet, require
from .models import GoNoGoDecision, GoNoGoSignOff
from .serializers_readiness import (
    GoNoGoDecisionSerializer,
    LessonActionSerializer,
    LessonSerializer,
    LessonVoteSerializer,
)


class ProjectFilterMixin:
    """?project=<id> of a project the caller is not a member of is a 404, like the object itself."""

    def list(self, request, *args, **kwargs):
        raw = request.query_params.get("project")
        if raw not in (None, ""):
            selectors.project_get_for_user(user=request.user, pk=raw)
        return super().list(request, *args, **kwargs)


class LessonViewSet(ProjectFilterMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    """Retrospective items. Any member adds and votes; the author or a manager edits and deletes."""

    serializer_class = LessonSerializer
    rule = "projects.lesson_add"
    filterset_fields = ["project", "kind", "author"]
    search_fields = ["text"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return lessons.lesson_list_for_user(user=self.request.user)

    def _annotated(self, lesson):
        return self.get_queryset().get(pk=lesson.pk)

    def perform_service_create(self, *, project, data):
        return self._annotated(lessons.lesson_create(actor=self.request.user, project=project, **data))

    def update(self, request, *args, **kwargs):
        require(request.user, "projects.lesson_edit", self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_service_update(self, *, instance, data):
        data.pop("author", None)
        return self._annotated(lessons.lesson_update(actor=self.request.user, lesson=instance, **data))

    def destroy(self, request, *args, **kwargs):
        require(request.user, "projects.lesson_edit", self.get_object())
        return super().destroy(request, *args, **kwargs)

    def perform_service_destroy(self, *, instance):
        lessons.lesson_delete(actor=self.request.user, lesson=instance)

    @extend_schema(request=LessonVoteSerializer, responses=LessonSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """Vote for the item (`{"vote": false}` takes the vote back; no body toggles)."""
        lesson = self.get_object()
        require(request.user, "projects.lesson_add", lesson.project)
        serializer = LessonVoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lessons.lesson_vote(actor=request.user, lesson=lesson, vote=serializer.validated_data.get("vote"))
        return Response(LessonSerializer(self._annotated(lesson)).data, status=status.HTTP_200_OK)


class LessonActionViewSet(ProjectFilterMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    """Retrospective actions. Managers create, reassign and delete; the owner may change the status."""

    serializer_class = LessonActionSerializer
    rule = "projects.lesson_actions_manage"
    filterset_fields = ["project", "owner", "status", "lesson"]
    search_fields = ["title"]
    ordering_fields = ["due_date", "created_at"]

    def get_queryset(self):
        return lessons.action_list_for_user(user=self.request.user)

    def perform_service_create(self, *, project, data):
        data.pop("status", None)
        return lessons.lesson_action_create(actor=self.request.user, project=project, **data)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": [_("Send a JSON object of the fields to change.")]})
        only_status = set(request.data.keys()) <= {"status"}
        if only_status and request.user.has_perm("projects.lesson_action_complete", instance):
            serializer = self.get_serializer(instance, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            instance = lessons.lesson_action_update(actor=request.user, action=instance, **serializer.validated_data)
            return Response(self.get_serializer(instance).data)
        return super().update(request, *args, **kwargs)

    def perform_service_update(self, *, instance, data):
        return lessons.lesson_action_update(actor=self.request.user, action=instance, **data)

    def perform_service_destroy(self, *, instance):
        instance.delete()


class GoNoGoDecisionViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Go/no-go meetings with their frozen evidence and sign-offs (read-only: sign on the page)."""

    serializer_class = GoNoGoDecisionSerializer
    filterset_fields = ["project", "status", "final_verdict"]
    ordering_fields = ["meeting_at"]

    def get_queryset(self):
        return (GoNoGoDecision.objects.filter(project__in=selectors.project_list_for_user(user=self.request.user)
                                              .values("pk"))
                .prefetch_related(Prefetch("signoffs", queryset=GoNoGoSignOff.objects.order_by("signed_at", "id")))
                .order_by("-meeting_at", "-id"))
