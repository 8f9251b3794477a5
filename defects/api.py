"""REST API of the defects app (/api/v1/defects/, /api/v1/test-cycles/, /api/v1/test-cases/). Thin."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from projects.api_base import ProjectFilterMixin, ProjectScopedViewSet, call, require

from . import links, selectors, services
from .models import (
    Defect,
    DefectAttachment,
    DefectComment,
    DefectTransition,
    PerfRun,
    PerfTarget,
    ResultStatus,
    SecurityFinding,
    TestCase,
    TestCycle,
)
from .serializers import (
    AcceptanceRequestSerializer,
    AttachmentSerializer,
    CommentOnlySerializer,
    CommentSerializer,
    DefectSerializer,
    FindingImportResultSerializer,
    FindingImportSerializer,
    FindingToDefectSerializer,
    FindingTransitionSerializer,
    JUnitImportResultSerializer,
    PerfImportResultSerializer,
    PerfResultSerializer,
    PerfRunSerializer,
    PerfTargetSerializer,
    ResultInputSerializer,
    SecurityFindingSerializer,
    TestCaseSerializer,
    TestCycleSerializer,
    TestResultSerializer,
    TransitionRecordSerializer,
    TransitionSerializer,
    UploadSerializer,
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
        if data.pop("attachments", None):
            raise ValidationError({"attachments": [_("Attach files to a filed defect at …/attachments/.")]})
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

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer})
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

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": AttachmentSerializer},
                   responses={201: AttachmentSerializer})
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


def _project_objects(model, project, ids, field, label):
    """The objects of `project` with these ids, in order; an id that is not one of them is a 400."""
    ids = list(dict.fromkeys(ids or []))
    if not ids:
        return []
    found = model.objects.filter(project=project).in_bulk(ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({field: [_("No %(what)s with id %(ids)s in this project.")
                                       % {"what": label, "ids": ", ".join(missing)}]})
    return [found[i] for i in ids]


class TestCycleViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = TestCycleSerializer
    queryset = TestCycle.objects.none()
    rule = "defects.manage_tests"
    filterset_fields = ["project", "kind", "status", "scope"]
    ordering_fields = ["planned_start", "name"]

    def get_queryset(self):
        return selectors.cycle_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.cycle_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        from projects.models import Department

        data["cases"] = _project_objects(TestCase, project, data.pop("cases", None), "cases", _("test case"))
        data["departments"] = _project_objects(Department, project, data.pop("departments", None), "departments",
                                               _("department"))
        req_ids = data.pop("requirements", None)
        model = links.requirement_model()
        data["requirements"] = _project_objects(model, project, req_ids, "requirements", _("requirement")) \
            if model is not None else []
        return call(services.cycle_create, actor=self.request.user, project=project, **data)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data = self.get_serializer(self.get_queryset().get(pk=response.data["id"])).data
        return response

    def perform_service_update(self, *, instance, data):
        scope = [f for f in ("cases", "requirements", "departments", "tags") if f in data]
        if scope:
            raise ValidationError({scope[0]: [_("A cycle's cases are chosen when it is planned; plan a new cycle "
                                                "for another scope.")]})
        call(services.cycle_update, actor=self.request.user, cycle=instance, **data)
        return self.get_queryset().get(pk=instance.pk)

    @extend_schema(request=ResultInputSerializer, responses=TestResultSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def results(self, request, pk=None):
        """GET the cycle's results; POST {case, status, note} records one."""
        cycle = self.get_object()
        if request.method == "GET":
            status_filter = request.query_params.get("status")
            if status_filter and status_filter not in ResultStatus.values:
                raise ValidationError({"status": [_("Unknown result “%(s)s”. Choose one of: %(all)s.")
                                                  % {"s": status_filter, "all": ", ".join(ResultStatus.values)}]})
            qs = selectors.cycle_results(user=request.user, cycle=cycle, status=status_filter)
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

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses=JUnitImportResultSerializer)
    @action(detail=True, methods=["post"], url_path="import/junit", parser_classes=[MultiPartParser, FormParser])
    def import_junit(self, request, pk=None):
        """Import a CI run's JUnit XML report (multipart `file`) into the cycle."""
        cycle = self.get_object()
        require(request.user, "defects.manage_tests", cycle.project)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose the JUnit XML file (multipart field “file”).")]})
        counts = call(services.junit_import, actor=request.user, cycle=cycle, upload=upload)
        return Response(JUnitImportResultSerializer(counts).data)


class TestCaseViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = TestCaseSerializer
    queryset = TestCase.objects.none()
    rule = "defects.manage_tests"
    filterset_fields = ["project", "kind", "active"]
    search_fields = ["code", "title", "automation_key"]
    http_method_names = ["get", "post", "patch", "head", "options"]  # edits are partial; cases are retired, not deleted

    def get_queryset(self):
        return selectors.case_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.case_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        return call(services.case_create, actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        if "code" in data and data["code"] != instance.code:
            raise ValidationError({"code": [_("A test case keeps its code; results and reports refer to it.")]})
        data.pop("code", None)
        call(services.case_update, actor=self.request.user, case=instance, **data)
        return self.get_queryset().get(pk=instance.pk)


# ---------------------------------------------------------------- performance

class PerfTargetViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = PerfTargetSerializer
    queryset = PerfTarget.objects.none()
    rule = "defects.manage_tests"
    filterset_fields = ["project", "requirement"]
    search_fields = ["transaction"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.perf_target_list_for_user(user=self.request.user)

    def get_object(self):
        target = _get_or_404(self.get_queryset().select_related("project"), self.kwargs["pk"])
        return target

    def perform_service_create(self, *, project, data):
        return call(services.perf_target_create, actor=self.request.user, project=project,
                    transaction_name=data.pop("transaction"), **data)

    def perform_service_update(self, *, instance, data):
        return call(services.perf_target_update, actor=self.request.user, target=instance, **data)

    def perform_service_destroy(self, *, instance):
        call(services.perf_target_delete, actor=self.request.user, target=instance)


class PerfRunViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = PerfRunSerializer
    queryset = PerfRun.objects.none()
    rule = "defects.manage_tests"
    filterset_fields = ["project", "tool", "cycle"]
    search_fields = ["name"]

    def get_queryset(self):
        return selectors.perf_run_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.perf_run_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # The targets of the caller's projects, once per request (no query per run).
        by_project = {}
        if self.request.user.is_authenticated:
            for t in selectors.perf_target_list_for_user(user=self.request.user):
                by_project.setdefault(t.project_id, {})[t.transaction] = t
        context["targets"] = by_project
        return context

    def perform_service_create(self, *, project, data):
        return call(services.perf_run_create, actor=self.request.user, project=project, **data)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses=PerfImportResultSerializer)
    @action(detail=True, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_results(self, request, pk=None):
        """Import the run's results (multipart `file`: JMeter CSV JTL, k6 summary JSON or Locust _stats.csv,
        as the run's `tool` says); answers each transaction judged against its target."""
        run = self.get_object()
        require(request.user, "defects.manage_tests", run.project)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose the results file (multipart field “file”).")]})
        run = call(services.perf_run_import, actor=request.user, run=run, upload=upload)
        return Response({"transactions": PerfResultSerializer(selectors.judged_results(run), many=True).data})


# ---------------------------------------------------------------- security findings

class SecurityFindingViewSet(ProjectScopedViewSet, ProjectFilterMixin, mixins.ListModelMixin,
                             mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                             viewsets.GenericViewSet):
    serializer_class = SecurityFindingSerializer
    queryset = SecurityFinding.objects.none()
    rule = "defects.record_finding"
    filterset_fields = ["project", "severity", "status", "source", "cwe"]
    search_fields = ["title", "component", "location"]
    ordering_fields = ["number", "created_at", "due_date", "severity_rank", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        flag = self.request.query_params.get("open") in ("1", "true", "yes")
        return selectors.finding_list_for_user(user=self.request.user, filters={"open": flag})

    def get_object(self):
        return selectors.finding_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def perform_service_create(self, *, project, data):
        return call(services.finding_create, actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return call(services.finding_update, actor=self.request.user, finding=instance, **data)

    def _answer(self, finding):
        return Response(self.get_serializer(self.get_object() if finding is None else
                                            selectors.finding_get_for_user(user=self.request.user,
                                                                           pk=finding.pk)).data)

    @extend_schema(request=FindingTransitionSerializer, responses=SecurityFindingSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """{to, comment}: open → fixed → verified; back to open (re-test failed), false_positive."""
        finding = self.get_object()
        serializer = FindingTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(call(services.finding_transition, actor=request.user, finding=finding,
                                 **serializer.validated_data))

    @extend_schema(request=AcceptanceRequestSerializer, responses=SecurityFindingSerializer)
    @action(detail=True, methods=["post"], url_path="request-acceptance")
    def request_acceptance(self, request, pk=None):
        """{reason, expires_on}: ask for the risk to be accepted; a second person approves."""
        finding = self.get_object()
        serializer = AcceptanceRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(call(services.finding_request_acceptance, actor=request.user, finding=finding,
                                 **serializer.validated_data))

    @extend_schema(request=None, responses=SecurityFindingSerializer)
    @action(detail=True, methods=["post"], url_path="approve-acceptance")
    def approve_acceptance(self, request, pk=None):
        finding = self.get_object()
        return self._answer(call(services.finding_approve_acceptance, actor=request.user, finding=finding))

    @extend_schema(request=CommentOnlySerializer, responses=SecurityFindingSerializer)
    @action(detail=True, methods=["post"], url_path="decline-acceptance")
    def decline_acceptance(self, request, pk=None):
        finding = self.get_object()
        serializer = CommentOnlySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(call(services.finding_decline_acceptance, actor=request.user, finding=finding,
                                 **serializer.validated_data))

    @extend_schema(request=FindingToDefectSerializer, responses={201: DefectSerializer, 200: DefectSerializer})
    @action(detail=True, methods=["post"], url_path="to-defect")
    def to_defect(self, request, pk=None):
        """File a security defect from the finding (once)."""
        finding = self.get_object()
        serializer = FindingToDefectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee = None
        if serializer.validated_data.get("assignee"):
            assignee = selectors.assignable_users(finding.project).filter(
                pk=serializer.validated_data["assignee"]).first()
            if assignee is None:
                raise ValidationError({"assignee": [_("Assign the defect to a developer or ops engineer of this "
                                                      "project.")]})
        defect = call(services.finding_to_defect, actor=request.user, finding=finding, assignee=assignee)
        return Response(DefectSerializer(selectors.defect_get_for_user(user=request.user, pk=defect.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": FindingImportSerializer}, responses=FindingImportResultSerializer)
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_scan(self, request):
        """Import an OWASP ZAP or bandit JSON report (multipart `file`, `project`, `tool` zap|bandit).
        Findings seen before are updated, not duplicated."""
        project = self.project_from_request()
        require(request.user, "defects.record_finding", project)
        serializer = FindingImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        counts = call(services.findings_import, actor=request.user, project=project, tool=data["tool"],
                      upload=data["file"])
        return Response(FindingImportResultSerializer(counts).data)


def _get_or_404(qs, pk):
    from django.http import Http404

    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
