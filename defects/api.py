"""REST API of the defects app (/api/v1/defects/, /api/v1/test-cycles/, /api/v1/test-cases/). Thin."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from projects.api_base import ProjectFilterMixin, ProjectScopedViewSet, call, require

from . import selectors, services
from .models import Defect, DefectAttachment, DefectComment, DefectTransition, TestCase, TestCycle
from .serializers import (
    AttachmentSerializer,
    CommentSerializer,
    DefectSerializer,
    ResultInputSerializer,
    TestCaseSerializer,
    TestCycleSerializer,
    TestResultSerializer,
    TransitionRecordSerializer,
    TransitionSerializer,
)


class DefectViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = DefectSerializer
    queryset = Defect.objects.none()  # for the schema; get_queryset limits to the caller
    rule = "defects.file"
    filterset_fields = ["project", "status", "severity", "category", "priority", "found_in", "assignee", "reporter",
                        "cycle", "requirement"]
    search_fields = ["title", "steps", "actual_result", "environment"]
    ordering_fields = ["number", "created_at", "fix_due_at", "severity_rank", "status"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        overdue = self.request.query_params.get("overdue") in ("1", "true", "yes")
        return selectors.defect_list_for_user(user=self.request.user, filters={"overdue": overdue})

    def get_object(self):
        return selectors.defect_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        return call(services.defect_file, actor=self.request.user, project=project, **data)

    def update(self, request, *args, **kwargs):
        defect = self.get_object()
        serializer = self.get_serializer(defect, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "project" in data and data.pop("project").pk != defect.project_id:
            raise ValidationError({"project": ["A defect cannot move to another project."]})
        data.pop("test_result", None)
        assignee_given = "assignee" in data
        assignee = data.pop("assignee", None)
        if data:
            defect = call(services.defect_update, actor=request.user, defect=defect, **data)
        if assignee_given and assignee != defect.assignee:
            defect = call(services.defect_assign, actor=request.user, defect=defect, assignee=assignee)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=TransitionSerializer, responses=DefectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the defect through the workflow: {to, comment, reject_reason?, duplicate_of?}."""
        defect = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(services.defect_transition, actor=request.user, defect=defect, **serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses=TransitionRecordSerializer(many=True))
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        defect = self.get_object()
        qs = DefectTransition.objects.filter(defect=defect).select_related("actor")
        return Response(TransitionRecordSerializer(qs, many=True).data)

    @extend_schema(request=CommentSerializer, responses=CommentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        defect = self.get_object()
        if request.method == "GET":
            return Response(CommentSerializer(DefectComment.objects.filter(defect=defect), many=True).data)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = call(services.defect_comment_add, actor=request.user, defect=defect,
                       text=serializer.validated_data["text"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AttachmentSerializer, responses=AttachmentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request, pk=None):
        defect = self.get_object()
        if request.method == "GET":
            qs = DefectAttachment.objects.filter(defect=defect).select_related("defect")
            return Response(AttachmentSerializer(qs, many=True).data)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Choose a file to attach (multipart field “file”)."]})
        attachment = call(services.attachment_add, actor=request.user, defect=defect, upload=upload)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class TestCycleViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = TestCycleSerializer
    queryset = TestCycle.objects.none()
    rule = "defects.manage_tests"
    filterset_fields = ["project", "kind", "status"]
    ordering_fields = ["planned_start", "name"]

    def get_queryset(self):
        return selectors.cycle_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.cycle_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        return call(services.cycle_create, actor=self.request.user, project=project, **data)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data = self.get_serializer(self.get_queryset().get(pk=response.data["id"])).data
        return response

    def perform_service_update(self, *, instance, data):
        call(services.cycle_update, actor=self.request.user, cycle=instance, **data)
        return self.get_queryset().get(pk=instance.pk)

    @extend_schema(request=ResultInputSerializer, responses=TestResultSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def results(self, request, pk=None):
        """GET the cycle's results; POST {case, status, note} records one."""
        cycle = self.get_object()
        if request.method == "GET":
            qs = selectors.cycle_results(user=request.user, cycle=cycle, status=request.query_params.get("status"))
            page = self.paginate_queryset(qs)
            return self.get_paginated_response(TestResultSerializer(page, many=True).data)
        require(request.user, "defects.manage_tests", cycle.project)
        serializer = ResultInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = get_object_or_404(cycle.results.select_related("case", "cycle"), case_id=data["case"])
        result = call(services.result_record, actor=request.user, result=result, status=data["status"],
                      note=data["note"])
        return Response(TestResultSerializer(result).data, status=status.HTTP_200_OK)


class TestCaseViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = TestCaseSerializer
    queryset = TestCase.objects.none()
    rule = "defects.manage_tests"
    filterset_fields = ["project", "kind"]
    search_fields = ["code", "title"]

    def get_queryset(self):
        return selectors.case_list_for_user(user=self.request.user)

    def get_object(self):
        case = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if case is None:
            from django.http import Http404

            raise Http404
        return case

    def perform_service_create(self, *, project, data):
        return call(services.case_create, actor=self.request.user, project=project, **data)



