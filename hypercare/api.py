"""REST API of hypercare: staff feedback (/api/v1/feedback/: staff see their own, managers all),
lessons learned (/api/v1/lessons/) and their actions (/api/v1/lesson-actions/). Thin."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from projects.api_base import ProjectFilterMixin, ProjectScopedViewSet, call, require

from . import selectors, services
from .models import Complaint, Feedback
from .serializers import (
    AnswerSerializer,
    ComplaintSerializer,
    ComplaintTransitionSerializer,
    FeedbackSerializer,
    LessonActionSerializer,
    LessonSerializer,
    LessonVoteSerializer,
    TriageSerializer,
)


class FeedbackViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = FeedbackSerializer
    queryset = Feedback.objects.none()  # for the schema; get_queryset limits to the caller
    rule = "hypercare.feedback"
    filterset_fields = ["project", "category", "status", "outcome", "submitter"]
    search_fields = ["text", "answer"]
    ordering_fields = ["created_at", "status"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        return selectors.feedback_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.feedback_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        return call(services.feedback_submit, actor=self.request.user, project=project,
                    category=data["category"], text=data["text"], page_url=data.get("page_url", ""),
                    screenshot=self.request.FILES.get("screenshot"))

    @extend_schema(request=TriageSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Manager: {outcome: defect|requirement|training|closed, answer?, note?, severity?, title?}."""
        feedback = self.get_object()
        require(request.user, "hypercare.triage_feedback", feedback.project)
        serializer = TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(services.feedback_triage, actor=request.user, feedback=feedback, **serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=AnswerSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Manager: answer triaged feedback {answer, close?}."""
        feedback = self.get_object()
        require(request.user, "hypercare.triage_feedback", feedback.project)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(services.feedback_answer, actor=request.user, feedback=feedback, **serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)


class LessonViewSet(ProjectFilterMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    """Retrospective items. Any member adds and votes; the author or a manager edits and deletes."""

    serializer_class = LessonSerializer
    rule = "hypercare.lesson_add"
    filterset_fields = ["project", "kind", "author"]
    search_fields = ["text"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return selectors.lesson_list_for_user(user=self.request.user)

    def _annotated(self, lesson):
        return self.get_queryset().get(pk=lesson.pk)

    def perform_service_create(self, *, project, data):
        return self._annotated(services.lesson_create(actor=self.request.user, project=project, **data))

    def update(self, request, *args, **kwargs):
        require(request.user, "hypercare.lesson_edit", self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_service_update(self, *, instance, data):
        data.pop("author", None)
        return self._annotated(services.lesson_update(actor=self.request.user, lesson=instance, **data))

    def destroy(self, request, *args, **kwargs):
        require(request.user, "hypercare.lesson_edit", self.get_object())
        return super().destroy(request, *args, **kwargs)

    def perform_service_destroy(self, *, instance):
        services.lesson_delete(actor=self.request.user, lesson=instance)

    @extend_schema(request=LessonVoteSerializer, responses=LessonSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """Vote for the item (`{"vote": false}` takes the vote back; no body toggles)."""
        lesson = self.get_object()
        require(request.user, "hypercare.lesson_add", lesson.project)
        serializer = LessonVoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.lesson_vote(actor=request.user, lesson=lesson, vote=serializer.validated_data.get("vote"))
        return Response(LessonSerializer(self._annotated(lesson)).data, status=status.HTTP_200_OK)


class LessonActionViewSet(ProjectFilterMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    """Retrospective actions. Managers create, reassign and delete; the owner may change the status."""

    serializer_class = LessonActionSerializer
    rule = "hypercare.lesson_actions_manage"
    filterset_fields = ["project", "owner", "status", "lesson"]
    search_fields = ["title"]
    ordering_fields = ["due_date", "created_at"]

    def get_queryset(self):
        return selectors.action_list_for_user(user=self.request.user)

    def perform_service_create(self, *, project, data):
        data.pop("status", None)
        return services.lesson_action_create(actor=self.request.user, project=project, **data)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": [_("Send a JSON object of the fields to change.")]})
        only_status = set(request.data.keys()) <= {"status"}
        if only_status and request.user.has_perm("hypercare.lesson_action_complete", instance):
            serializer = self.get_serializer(instance, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            instance = services.lesson_action_update(actor=request.user, action=instance, **serializer.validated_data)
            return Response(self.get_serializer(instance).data)
        return super().update(request, *args, **kwargs)

    def perform_service_update(self, *, instance, data):
        return services.lesson_action_update(actor=self.request.user, action=instance, **data)

    def perform_service_destroy(self, *, instance):
        instance.delete()


class ComplaintViewSet(ProjectFilterMixin, ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Customer complaints: every member sees and records them; ops, business experts and managers
    edit them and move them on (`transition`)."""

    serializer_class = ComplaintSerializer
    queryset = Complaint.objects.none()  # for the schema; get_queryset limits to the caller
    rule = "hypercare.complaint_record"
    filterset_fields = ["project", "channel", "status", "owner", "defect"]
    search_fields = ["category", "description"]
    ordering_fields = ["received_at", "status"]

    def get_queryset(self):
        return selectors.complaint_list_for_user(user=self.request.user)

    def perform_service_create(self, *, project, data):
        return call(services.complaint_record, actor=self.request.user, project=project, **data)

    def update(self, request, *args, **kwargs):
        require(request.user, "hypercare.complaint_handle", self.get_object().project)
        return super().update(request, *args, **kwargs)

    def perform_service_update(self, *, instance, data):
        data.pop("project", None)
        changes = {k: v for k, v in data.items() if getattr(instance, k) != v}
        return call(services.complaint_update, actor=self.request.user, complaint=instance, **changes)

    @extend_schema(request=ComplaintTransitionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """{to: investigating|resolved, comment} (resolving needs the comment: the resolution)."""
        complaint = self.get_object()
        require(request.user, "hypercare.complaint_handle", complaint.project)
        serializer = ComplaintTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(services.complaint_transition, actor=request.user, complaint=complaint, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=complaint.pk)).data)
