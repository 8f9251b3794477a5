"""REST API of staff feedback (DESIGN.md: /api/v1/feedback/). Staff see their own, managers all. Thin."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from projects.api_base import ProjectScopedViewSet, require

from . import feedback_services, hypercare
from .api import ProjectFilterMixin, call
from .models import Feedback
from .serializers_feedback import AnswerSerializer, FeedbackSerializer, TriageSerializer


class FeedbackViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = FeedbackSerializer
    queryset = Feedback.objects.none()  # for the schema; get_queryset limits to the caller
    rule = "defects.feedback"
    filterset_fields = ["project", "category", "status", "outcome", "submitter"]
    search_fields = ["text", "answer"]
    ordering_fields = ["created_at", "status"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        return hypercare.feedback_list_for_user(user=self.request.user)

    def get_object(self):
        return hypercare.feedback_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        return call(feedback_services.feedback_submit, actor=self.request.user, project=project,
                    category=data["category"], text=data["text"], page_url=data.get("page_url", ""),
                    screenshot=self.request.FILES.get("screenshot"))

    @extend_schema(request=TriageSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Manager: {outcome: defect|requirement|training|closed, answer?, note?, severity?, title?}."""
        feedback = self.get_object()
        require(request.user, "defects.triage_feedback", feedback.project)
        serializer = TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(feedback_services.feedback_triage, actor=request.user, feedback=feedback, **serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=AnswerSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Manager: answer triaged feedback {answer, close?}."""
        feedback = self.get_object()
        require(request.user, "defects.triage_feedback", feedback.project)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(feedback_services.feedback_answer, actor=request.user, feedback=feedback, **serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)
