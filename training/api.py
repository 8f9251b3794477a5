"""REST API of training. Thin: services do the work, selectors scope the reads."""

import django_filters
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.api_base import ProjectScopedViewSet, call, require
from projects.selectors import project_get_for_user

from . import selectors, services
from .models import CourseMaterial, Enrolment, EnrolmentStatus, Mode, Module, Session
from .serializers import (
    AttendanceSerializer,
    ChangeImpactSerializer,
    CourseSerializer,
    EnrolmentSerializer,
    EnrolRequestSerializer,
    EnrolResultSerializer,
    ModuleCompleteSerializer,
    ModuleSerializer,
    MyRecordSerializer,
    QuestionAuthorSerializer,
    QuestionSerializer,
    QuizResultSerializer,
    QuizSerializer,
    SessionSerializer,
)


class ProjectListMixin:
    """A list filtered by ?project= of a project I do not belong to is a 404, as everywhere."""

    def list(self, request, *args, **kwargs):
        project = request.query_params.get("project")
        if project:
            project_get_for_user(user=request.user, pk=project)
        return super().list(request, *args, **kwargs)


class CourseViewSet(ProjectListMixin, ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = CourseSerializer
    rule = "training.manage_courses"
    filterset_fields = ["project"]
    search_fields = ["title", "description"]
    ordering_fields = ["title"]

    def get_queryset(self):
        return selectors.course_list_for_user(user=self.request.user).prefetch_related(
            Prefetch("materials", queryset=CourseMaterial.objects.order_by("title", "id")))

    def perform_service_create(self, *, project, data):
        return services.course_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.course_update(actor=self.request.user, course=instance, **data)


class SessionFilter(django_filters.FilterSet):
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    mode = django_filters.ChoiceFilter(choices=Mode.choices)

    class Meta:
        model = Session
        fields = ["project", "course", "trainer", "mode"]


class SessionViewSet(ProjectListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Sessions; `enroll` and `cancel` act for the caller (or, for trainers and managers, for `user`)."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["starts_at"]

    def get_queryset(self):
        return selectors.session_list_for_user(user=self.request.user)

    def _course(self):
        raw = self.request.data.get("course") if hasattr(self.request.data, "get") else None
        if raw in (None, ""):
            raise ValidationError({"course": ["This field is required."]})
        course = selectors.course_list_for_user(user=self.request.user).filter(pk=raw).first() \
            if str(raw).isdigit() else None
        if course is None:  # not a course of one of my projects: ids leak nothing
            raise Http404
        project_get_for_user(user=self.request.user, pk=course.project_id)
        return course

    def create(self, request, *args, **kwargs):
        course = self._course()
        require(request.user, "training.manage_sessions", course.project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["course"] = course
        session = services.session_create(actor=request.user, **data)
        return Response(self.get_serializer(self._reload(session)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        session = self.get_object()
        require(request.user, "training.run_session", session)
        serializer = self.get_serializer(session, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if getattr(session, k) != v}
        session = services.session_update(actor=request.user, session=session, **changes)
        return Response(self.get_serializer(self._reload(session)).data)

    def _reload(self, session):
        return self.get_queryset().get(pk=session.pk)

    def _target(self, request, session):
        serializer = EnrolRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data.get("user") or request.user
        if user.pk != request.user.pk:
            require(request.user, "training.run_session", session)
        return user

    @extend_schema(request=EnrolRequestSerializer, responses=EnrolResultSerializer)
    @action(detail=True, methods=["post"])
    def enroll(self, request, pk=None):
        session = self.get_object()
        enrolment = services.enrolment_enrol(actor=request.user, session=session, user=self._target(request, session))
        return Response({"id": enrolment.pk, "status": enrolment.status,
                         "waitlist_position": enrolment.waitlist_position})

    @extend_schema(request=EnrolRequestSerializer, responses=EnrolResultSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = self.get_object()
        enrolment = services.enrolment_cancel(actor=request.user, session=session, user=self._target(request, session))
        return Response({"id": enrolment.pk, "status": enrolment.status, "waitlist_position": None})

    @extend_schema(request=AttendanceSerializer, responses=EnrolmentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def attendance(self, request, pk=None):
        """GET: the roster (seat holders). POST {attendance: [{user, status: attended|absent}]}: mark it."""
        session = self.get_object()
        require(request.user, "training.run_session", session)
        if request.method == "POST":
            serializer = AttendanceSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            marks = {m["user"]: m["status"] for m in serializer.validated_data["attendance"]}
            services.attendance_record(actor=request.user, session=session, marks=marks)
        roster = selectors.roster(session=session)
        return Response(EnrolmentSerializer(roster["seats"], many=True).data)


class EnrolmentFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="session__project_id")
    status = django_filters.ChoiceFilter(choices=EnrolmentStatus.choices)

    class Meta:
        model = Enrolment
        fields = ["session", "user", "status", "project"]


class EnrolmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Staff see their own enrolments; trainers and managers see all of their projects'."""

    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter

    def get_queryset(self):
        return selectors.enrolment_list_for_user(user=self.request.user)

    def list(self, request, *args, **kwargs):
        # ?project= / ?session= of something I cannot see at all: 404, like every other list.
        project = request.query_params.get("project")
        if project:
            project_get_for_user(user=request.user, pk=project)
        session = request.query_params.get("session")
        if session:
            selectors.session_get_for_user(user=request.user, pk=session)
        return super().list(request, *args, **kwargs)


class ModuleFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="course__project_id")

    class Meta:
        model = Module
        fields = ["course", "kind", "project"]


class ModuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Online modules. Members read them and take them; trainers and managers write them and their quizzes."""

    serializer_class = ModuleSerializer
    filterset_class = ModuleFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.module_list_for_user(user=self.request.user)

    def list(self, request, *args, **kwargs):
        for key, getter in (("project", lambda v: project_get_for_user(user=request.user, pk=v)),
                            ("course", lambda v: self._course_or_404(v))):
            if request.query_params.get(key):
                getter(request.query_params[key])
        return super().list(request, *args, **kwargs)

    def _course_or_404(self, raw):
        course = selectors.course_list_for_user(user=self.request.user).filter(pk=raw).first() \
            if str(raw).isdigit() else None
        if course is None:
            raise Http404
        return course

    def create(self, request, *args, **kwargs):
        raw = request.data.get("course") if hasattr(request.data, "get") else None
        if raw in (None, ""):
            raise ValidationError({"course": ["This field is required."]})
        course = self._course_or_404(raw)
        require(request.user, "training.manage_courses", course.project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        module = services.module_create(actor=request.user, course=course, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=module.pk)).data,
                        status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        module = self.get_object()
        require(request.user, "training.manage_courses", module.course.project)
        serializer = self.get_serializer(module, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "file" in data:
            raise ValidationError({"file": ["A module's file cannot be replaced: add a new module."]})
        changes = {k: v for k, v in data.items() if getattr(module, k) != v}
        services.module_update(actor=request.user, module=module, **changes)
        return Response(self.get_serializer(self.get_queryset().get(pk=module.pk)).data)

    def destroy(self, request, *args, **kwargs):
        module = self.get_object()
        require(request.user, "training.manage_courses", module.course.project)
        services.module_delete(actor=request.user, module=module)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # A learner's questions have no `correct`; trainers and managers get it too (an extra property).
    @extend_schema(methods=["GET"], responses=QuestionSerializer(many=True))
    @extend_schema(methods=["POST"], request=QuestionAuthorSerializer, responses={201: QuestionAuthorSerializer})
    @action(detail=True, methods=["get", "post"])
    def questions(self, request, pk=None):
        """GET: the quiz (learners never get `correct`). POST {text, choices, correct}: trainers, managers."""
        module = self.get_object()
        author = request.user.has_perm("training.manage_courses", module.course.project)
        if request.method == "POST":
            require(request.user, "training.manage_courses", module.course.project)
            serializer = QuestionAuthorSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            question = services.question_add(actor=request.user, module=module, **serializer.validated_data)
            return Response(QuestionAuthorSerializer(question).data, status=status.HTTP_201_CREATED)
        serializer_class = QuestionAuthorSerializer if author else QuestionSerializer
        return Response(serializer_class(selectors.quiz_questions(module=module), many=True).data)

    @extend_schema(request=QuizSerializer, responses=QuizResultSerializer)
    @action(detail=True, methods=["post"])
    def quiz(self, request, pk=None):
        module = self.get_object()
        serializer = QuizSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.quiz_submit(user=request.user, module=module,
                                      answers=serializer.validated_data["answers"])
        return Response(result)

    @extend_schema(request=None, responses=ModuleCompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        module = self.get_object()
        progress = services.module_complete(user=request.user, module=module)
        record = {r["course"].pk: r for r in selectors.my_record(project=module.course.project, user=request.user)}
        return Response({"module": module.pk, "completed_at": progress.completed_at,
                         "course_completed": record[module.course_id]["status"] == "completed"})


class MyRecordView(APIView):
    """The caller's training record in a project: every course, completed (and how), in progress or not started."""

    @extend_schema(parameters=[OpenApiParameter("project", int, required=True)], responses=MyRecordSerializer)
    def get(self, request):
        raw = request.query_params.get("project")
        if not raw:
            raise ValidationError({"project": ["This field is required."]})
        project = project_get_for_user(user=request.user, pk=raw)
        return Response(MyRecordSerializer({"courses": selectors.my_record(project=project, user=request.user)}).data)


class ChangeImpactViewSet(ProjectListMixin, ProjectScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                          viewsets.GenericViewSet):
    """Change impacts on staff, with the training coverage of the group each one affects.

    Members read; managers, business experts and trainers write."""

    serializer_class = ChangeImpactSerializer
    rule = "training.manage_impacts"
    filterset_fields = ["project", "department", "role", "impact"]
    search_fields = ["area", "change", "actions"]

    def get_queryset(self):
        return selectors.change_impact_list_for_user(user=self.request.user)

    def _with_coverage(self, items):
        """Attach covering courses and counts, computed once per project on the page (not per row)."""
        by_project = {}
        for item in items:
            by_project.setdefault(item.project_id, []).append(item)
        for rows in by_project.values():
            computed = {i.pk: i for i in selectors.change_impacts(project=rows[0].project)}
            for row in rows:
                done = computed.get(row.pk)
                row.covering_courses = done.covering_courses if done else []
                row.affected_count = done.affected_count if done else 0
                row.trained_count = done.trained_count if done else 0
        return items

    def list(self, request, *args, **kwargs):
        if request.query_params.get("project"):
            project_get_for_user(user=request.user, pk=request.query_params["project"])
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(self._with_coverage(list(page)), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self._with_coverage([self.get_object()])[0]).data)

    def update(self, request, *args, **kwargs):
        require(request.user, self.rule, self.get_object().project)
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        require(request.user, self.rule, self.get_object().project)
        return super().destroy(request, *args, **kwargs)

    def perform_service_create(self, *, project, data):
        item = call(services.change_impact_create, actor=self.request.user, project=project, **data)
        return self._with_coverage([self.get_queryset().get(pk=item.pk)])[0]

    def perform_service_update(self, *, instance, data):
        changes = {k: v for k, v in data.items() if getattr(instance, k) != v}
        item = call(services.change_impact_update, actor=self.request.user, item=instance, **changes)
        return self._with_coverage([self.get_queryset().get(pk=item.pk)])[0]

    def perform_service_destroy(self, *, instance):
        call(services.change_impact_delete, actor=self.request.user, item=instance)
