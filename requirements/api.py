"""REST API of the requirements app (docs/api.md): thin, every write is a service call.

Checks in order: not a member of the project → 404, member without the rule → 403, bad input → 400.
"""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from projects.api_base import ProjectScopedViewSet, require
from projects.selectors import project_get_for_user

from . import selectors, services
from .models import Requirement, SurveyResponse
from .serializers import (
    AnswersSerializer,
    ConflictCreateSerializer,
    ConflictSerializer,
    InterviewSerializer,
    QuestionSerializer,
    RequirementDetailSerializer,
    RequirementSerializer,
    ResolveSerializer,
    ReviewCommentSerializer,
    SurveyResponseSerializer,
    SurveySerializer,
)


class ProjectFilterMixin:
    """?project= of a project the caller is not in is a 404, not an empty list."""

    def filter_queryset(self, queryset):
        raw = self.request.query_params.get("project")
        if raw not in (None, ""):
            project_get_for_user(user=self.request.user, pk=raw)
        return super().filter_queryset(queryset)


class RequirementFilter(django_filters.FilterSet):
    class Meta:
        model = Requirement
        fields = ["project", "status", "priority", "department", "author", "code"]


class RequirementViewSet(ProjectFilterMixin, ProjectScopedViewSet, mixins.ListModelMixin,
                         mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.GenericViewSet):
    """Requirements: the server assigns `code` (REQ-001…) and starts them as `draft`. PATCH edits the text;
    editing an approved requirement creates a new version and sends it back to draft."""

    serializer_class = RequirementSerializer
    rule = "requirements.write"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # codes are never freed: no DELETE
    filterset_class = RequirementFilter
    search_fields = ["code", "title", "description"]
    ordering_fields = ["number", "title", "priority", "status", "updated_at", "submitted_at"]

    def get_queryset(self):
        qs = selectors.requirement_list_for_user(user=self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related("versions", "reviews")
        return qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return RequirementDetailSerializer
        return RequirementSerializer

    def perform_service_create(self, *, project, data):
        return services.requirement_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.requirement_update(actor=self.request.user, requirement=instance, **data)

    def _act(self, request, name, rule, *, on_requirement=False):
        requirement = self.get_object()
        require(request.user, rule, requirement if on_requirement else requirement.project)
        serializer = ReviewCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requirement = services.ACTIONS[name](request.user, requirement, serializer.validated_data["comment"])
        return Response(RequirementSerializer(requirement).data)

    @extend_schema(request=ReviewCommentSerializer, responses=RequirementSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(request, "submit", "requirements.write")

    @extend_schema(request=ReviewCommentSerializer, responses=RequirementSerializer,
                   description="Take a submitted requirement back to draft before a reviewer decides: its "
                               "author or a manager; `comment` is an optional reason (up to 100 characters).")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, "withdraw", "requirements.withdraw", on_requirement=True)

    @extend_schema(request=ReviewCommentSerializer, responses=RequirementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request, "approve", "requirements.review")

    @extend_schema(request=ReviewCommentSerializer, responses=RequirementSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(request, "reject", "requirements.review")

    @extend_schema(request=ReviewCommentSerializer, responses=RequirementSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        return self._act(request, "request-changes", "requirements.review")


class ConflictViewSet(ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Conflicts between two requirements (`POST {first, second, note}`), resolved with `POST .../resolve/`."""

    serializer_class = ConflictSerializer
    filterset_fields = ["project", "status"]

    def get_queryset(self):
        return selectors.conflict_list_for_user(user=self.request.user)

    @extend_schema(request=ConflictCreateSerializer, responses=ConflictSerializer)
    def create(self, request, *args, **kwargs):
        data = ConflictCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        first = selectors.requirement_get_for_user(user=request.user, pk=data.validated_data["first"])
        second = selectors.requirement_get_for_user(user=request.user, pk=data.validated_data["second"])
        require(request.user, "requirements.write", first.project)
        conflict = services.conflict_create(actor=request.user, first=first, second=second,
                                            note=data.validated_data["note"])
        return Response(ConflictSerializer(conflict).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveSerializer, responses=ConflictSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        conflict = self.get_object()
        require(request.user, "requirements.write", conflict.project)
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = services.conflict_resolve(actor=request.user, conflict=conflict,
                                             resolution=data.validated_data["resolution"])
        return Response(ConflictSerializer(conflict).data)


class SurveyViewSet(ProjectFilterMixin, ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Surveys with nested questions, responses and interviews (see requirements/README.md)."""

    serializer_class = SurveySerializer
    rule = "requirements.manage_survey"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    filterset_fields = ["project", "status", "method"]
    search_fields = ["title"]

    def get_queryset(self):
        return selectors.survey_list_for_user(user=self.request.user).prefetch_related("questions")

    def perform_service_create(self, *, project, data):
        return services.survey_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.survey_update(actor=self.request.user, survey=instance, **data)

    def _status(self, request, service):
        survey = self.get_object()
        require(request.user, "requirements.manage_survey", survey.project)
        service(actor=request.user, survey=survey)
        return Response(SurveySerializer(self.get_queryset().get(pk=survey.pk)).data)

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"], url_path="open")
    def open_survey(self, request, pk=None):
        return self._status(request, services.survey_open)

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"], url_path="close")
    def close_survey(self, request, pk=None):
        return self._status(request, services.survey_close)

    @extend_schema(request=QuestionSerializer, responses=QuestionSerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=QuestionSerializer)
    def questions(self, request, pk=None):
        survey = self.get_object()
        if request.method == "GET":
            return Response(QuestionSerializer(selectors.survey_questions(survey=survey), many=True).data)
        require(request.user, "requirements.manage_survey", survey.project)
        data = QuestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.question_add(actor=request.user, survey=survey, **data.validated_data)
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswersSerializer, responses=SurveyResponseSerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=AnswersSerializer)
    def responses(self, request, pk=None):
        """GET: every response (owners: business reviewers and managers). POST: answer once as yourself."""
        survey = self.get_object()
        if request.method == "GET":
            require(request.user, "requirements.manage_survey", survey.project)
            page = self.paginate_queryset(selectors.responses(survey=survey))
            return self.get_paginated_response(SurveyResponseSerializer(page, many=True).data)
        require(request.user, "requirements.answer_survey", survey.project)
        response = services.survey_answer(actor=request.user, survey=survey, answers=self._answers(request))
        return Response(SurveyResponseSerializer(self._response(response.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswersSerializer, responses=SurveyResponseSerializer)
    @action(detail=True, methods=["get", "put"], url_path="responses/mine", serializer_class=AnswersSerializer)
    def my_response(self, request, pk=None):
        """Your own answers: GET them, PUT to change them until the survey closes."""
        survey = self.get_object()
        mine = get_object_or_404(SurveyResponse, survey=survey, respondent=request.user)
        if request.method == "PUT":
            services.survey_response_update(actor=request.user, response=mine, answers=self._answers(request))
        return Response(SurveyResponseSerializer(self._response(mine.pk)).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """Response rate per department and counts per question (owners)."""
        survey = self.get_object()
        require(request.user, "requirements.manage_survey", survey.project)
        rate = selectors.response_rate(survey=survey)
        summary = selectors.survey_summary(survey=survey)
        return Response({
            "response_rate": {"people": rate["people"], "responses": rate["responses"], "rate": rate["rate"],
                              "departments": [{"department": r["department"].pk, "name": r["department"].name,
                                               "people": r["people"], "responses": r["responses"],
                                               "rate": r["rate"]} for r in rate["rows"]]},
            "questions": [{"question": e["question"].pk, "text": e["question"].text, "kind": e["question"].kind,
                           "answers": e["count"], "choices": e.get("choices"), "average": e.get("average"),
                           "texts": [a.text for a in e["answers"] if a.text]} for e in summary],
        })

    @extend_schema(request=InterviewSerializer, responses=InterviewSerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=InterviewSerializer)
    def interviews(self, request, pk=None):
        survey = self.get_object()
        if request.method == "GET":
            return Response(InterviewSerializer(selectors.interviews(survey=survey), many=True).data)
        require(request.user, "requirements.manage_survey", survey.project)
        data = InterviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interview = services.interview_record(actor=request.user, survey=survey, **data.validated_data)
        return Response(InterviewSerializer(interview).data, status=status.HTTP_201_CREATED)

    def _answers(self, request):
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = {}
        for item in data.validated_data["answers"]:
            if item["question"] in answers:
                raise ValidationError({"answers": [_("Each question may be answered only once.")]})
            answers[item["question"]] = item["value"]
        return answers

    def _response(self, pk):
        return SurveyResponse.objects.prefetch_related("answers").get(pk=pk)
