"""REST API of the cutover area. Thin: services do the work.

A run's steps are addressed by the id of the runbook step each one snapshots, so clients that
know the runbook can drive a run without learning a second set of ids."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from projects.api_base import ProjectScopedViewSet, call, require
from projects.selectors import project_get_for_user

from . import selectors, services
from .models import ContingencyScenario, EnvEvidence, Run, Runbook, RunKind, RunStep, Step
from .serializers import (
    ContingencyPlanSerializer,
    ContingencyScenarioSerializer,
    CutoverIssueSerializer,
    DrillSerializer,
    EnvCheckSerializer,
    EnvCheckStandardResultSerializer,
    EnvCheckStandardSerializer,
    EnvCheckTransitionSerializer,
    EnvEvidenceSerializer,
    IssueTransitionSerializer,
    MigrationCheckSerializer,
    MigrationEntitySerializer,
    RunbookSerializer,
    RunSerializer,
    RunStepActionSerializer,
    RunStepSerializer,
    StepSerializer,
    TimelineEventSerializer,
    UpdateSerializer,
    WorkItemSerializer,
    WorkItemStatusSerializer,
)

User = get_user_model()


class ProjectParamMixin:
    """`?project=<id>` of a project the caller is not a member of is a 404, as for its objects."""

    def filter_queryset(self, queryset):
        raw = self.request.query_params.get("project")
        if raw not in (None, ""):
            project_get_for_user(user=self.request.user, pk=raw)
        return super().filter_queryset(queryset)


class WorkItemViewSet(ProjectParamMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = WorkItemSerializer
    rule = "tasks.edit"
    filterset_fields = ["project", "phase", "status", "owner"]
    ordering_fields = ["due_at", "title"]

    def get_queryset(self):
        return selectors.workitem_list_for_user(user=self.request.user)

    def perform_service_create(self, *, project, data):
        return services.workitem_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.workitem_update(actor=self.request.user, item=instance, **data)

    def perform_service_destroy(self, *, instance):
        services.workitem_delete(actor=self.request.user, item=instance)

    @extend_schema(request=WorkItemStatusSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"], serializer_class=WorkItemStatusSerializer, url_path="status")
    def set_status(self, request, pk=None):
        item = self.get_object()
        require(request.user, "tasks.update_item", item)
        serializer = WorkItemStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.workitem_set_status(actor=request.user, item=item, **serializer.validated_data)
        return Response(WorkItemSerializer(item).data)


class RunbookViewSet(ProjectParamMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = RunbookSerializer
    rule = "tasks.edit"
    filterset_fields = ["project", "kind"]
    search_fields = ["name"]

    def get_queryset(self):
        return selectors.runbook_list_for_user(user=self.request.user)

    def perform_service_create(self, *, project, data):
        return services.runbook_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.runbook_update(actor=self.request.user, runbook=instance, **data)

    def perform_service_destroy(self, *, instance):
        if instance.runs.exists():
            raise ValidationError({"detail": _("This runbook has runs; it is kept for their record.")})
        instance.delete()

    @extend_schema(request=StepSerializer, responses=StepSerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=StepSerializer)
    def steps(self, request, pk=None):
        runbook = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.step_list_for_runbook(runbook=runbook))
            return self.get_paginated_response(StepSerializer(page, many=True).data)
        require(request.user, "tasks.edit", runbook)
        serializer = StepSerializer(data=request.data, context={"request": request, "runbook": runbook})
        serializer.is_valid(raise_exception=True)
        step = services.step_create(actor=request.user, runbook=runbook, **serializer.validated_data)
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StepSerializer, responses=StepSerializer)
    @action(detail=True, methods=["get", "patch", "delete"], url_path=r"steps/(?P<step_id>\d+)",
            serializer_class=StepSerializer)
    def step(self, request, pk=None, step_id=None):
        runbook = self.get_object()
        step = get_object_or_404(Step.objects.select_related("owner"), pk=step_id, runbook=runbook)
        if request.method == "GET":
            return Response(StepSerializer(step).data)
        require(request.user, "tasks.edit", runbook)
        if request.method == "DELETE":
            services.step_delete(actor=request.user, step=step)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = StepSerializer(step, data=request.data, partial=True,
                                    context={"request": request, "runbook": runbook})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        depends_on = data.pop("depends_on", None)
        step = services.step_update(actor=request.user, step=step, depends_on=depends_on, **data)
        return Response(StepSerializer(step).data)


class RunViewSet(ProjectParamMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                 viewsets.GenericViewSet):
    serializer_class = RunSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "runbook", "kind", "status"]
    ordering_fields = ["planned_start", "number"]

    def get_queryset(self):
        return selectors.run_list_for_user(user=self.request.user)

    def get_object(self):
        run = selectors.run_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        return run

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        selectors.attach_forecasts(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        run = selectors.run_list_for_user(user=request.user).filter(pk=self.get_object().pk)
        run = selectors.attach_forecasts(run)[0]
        return Response(self.get_serializer(run).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runbook = serializer.validated_data["runbook"]
        project = request.data.get("project") if hasattr(request.data, "get") else None
        if project not in (None, "") and str(project) != str(runbook.project_id):
            raise ValidationError({"runbook": [_("This runbook belongs to another project.")]})
        require(request.user, "tasks.edit", runbook.project)
        run = services.run_create(actor=request.user, runbook=runbook, kind=serializer.validated_data["kind"],
                                  planned_start=serializer.validated_data.get("planned_start"))
        run = selectors.attach_forecasts(selectors.run_list_for_user(user=request.user).filter(pk=run.pk))[0]
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=RunStepSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=RunStepSerializer)
    def steps(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(run.steps.order_by("order", "id"))
        return self.get_paginated_response(RunStepSerializer(page, many=True).data)

    def _run_step(self, step_id):
        run = self.get_object()
        return get_object_or_404(RunStep.objects.select_related("run", "run__project"), run=run,
                                 source_step_id=step_id)

    @extend_schema(responses=RunStepSerializer)
    @action(detail=True, methods=["get"], url_path=r"steps/(?P<step_id>\d+)", serializer_class=RunStepSerializer)
    def step(self, request, pk=None, step_id=None):
        return Response(RunStepSerializer(self._run_step(step_id)).data)

    def _act(self, request, step_id, verb):
        run_step = self._run_step(step_id)
        serializer = RunStepActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note, decision = serializer.validated_data["note"], serializer.validated_data["decision"]
        if verb == "start":
            run_step = services.runstep_start(actor=request.user, run_step=run_step)
        elif verb == "complete":
            run_step = services.runstep_complete(actor=request.user, run_step=run_step, note=note, decision=decision)
        elif verb == "fail":
            run_step = services.runstep_fail(actor=request.user, run_step=run_step, note=note)
        else:
            run_step = services.runstep_skip(actor=request.user, run_step=run_step, reason=note)
        return Response(RunStepSerializer(RunStep.objects.get(pk=run_step.pk)).data)

    @extend_schema(responses=TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=TimelineEventSerializer)
    def timeline(self, request, pk=None):
        """The war-room timeline: step events, issues and status updates in time order (paginated)."""
        run = self.get_object()
        page = self.paginate_queryset(selectors.run_timeline(run=run))
        return self.get_paginated_response(TimelineEventSerializer(page, many=True).data)

    @extend_schema(request=UpdateSerializer, responses={201: TimelineEventSerializer})
    @action(detail=True, methods=["post"], serializer_class=UpdateSerializer)
    def updates(self, request, pk=None):
        """Post a status update to the timeline and the project's chat channels (ops, managers)."""
        run = self.get_object()
        require(request.user, "tasks.post_update", run.project)
        serializer = UpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.run_post_update(actor=request.user, run=run, text=serializer.validated_data["text"])
        return Response(TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RunStepActionSerializer, responses=RunStepSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/start",
            serializer_class=RunStepActionSerializer)
    def start(self, request, pk=None, step_id=None):
        return self._act(request, step_id, "start")

    @extend_schema(request=RunStepActionSerializer, responses=RunStepSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/complete",
            serializer_class=RunStepActionSerializer)
    def complete(self, request, pk=None, step_id=None):
        return self._act(request, step_id, "complete")

    @extend_schema(request=RunStepActionSerializer, responses=RunStepSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/fail",
            serializer_class=RunStepActionSerializer)
    def fail(self, request, pk=None, step_id=None):
        return self._act(request, step_id, "fail")

    @extend_schema(request=RunStepActionSerializer, responses=RunStepSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/skip",
            serializer_class=RunStepActionSerializer)
    def skip(self, request, pk=None, step_id=None):
        return self._act(request, step_id, "skip")


class MigrationCheckViewSet(ProjectParamMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = MigrationCheckSerializer
    rule = "tasks.edit"
    filterset_fields = ["project", "run", "status", "entity"]

    def get_queryset(self):
        return selectors.check_list_for_user(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        run = data.pop("run")
        data.pop("project", None)
        project = request.data.get("project") if hasattr(request.data, "get") else None
        if project not in (None, "") and str(project) != str(run.project_id):
            raise ValidationError({"run": [_("This run belongs to another project.")]})
        require(request.user, "tasks.edit", run.project)
        check = services.check_create(actor=request.user, run=run, **data)
        return Response(self.get_serializer(check).data, status=status.HTTP_201_CREATED)

    def perform_service_update(self, *, instance, data):
        if "run" in data and data.pop("run").pk != instance.run_id:
            raise ValidationError({"run": [_("A check cannot move to another run.")]})
        return services.check_update(actor=self.request.user, check=instance, **data)

    def perform_service_destroy(self, *, instance):
        services.check_delete(actor=self.request.user, check=instance)

    @extend_schema(request=None, responses=MigrationCheckSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-restore")
    def confirm_restore(self, request, pk=None):
        """The backup taken before the run was restored on a test system and checked."""
        check = self.get_object()
        require(request.user, "tasks.edit", check)
        check = services.check_confirm_restore(actor=request.user, check=check)
        return Response(self.get_serializer(check).data)

    @extend_schema(request=None, responses=MigrationCheckSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-backup")
    def confirm_backup(self, request, pk=None):
        check = self.get_object()
        require(request.user, "tasks.edit", check)
        check = services.check_confirm_backup(actor=request.user, check=check)
        return Response(self.get_serializer(check).data)


class ContingencyPlanViewSet(ProjectParamMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """Read-only: the plan is written and approved on its page (four eyes, frozen once approved)."""

    serializer_class = ContingencyPlanSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "status"]

    def get_queryset(self):
        return selectors.plan_list_for_user(user=self.request.user)


# ---------------------------------------------------------------- the cutover night and contingency

def _int_field(data, name, *, required=True):
    """An id from the body: 400 naming the field when it is not a whole number."""
    raw = data.get(name) if hasattr(data, "get") else None
    if raw in (None, ""):
        if required:
            raise ValidationError({name: [_("This field is required.")]})
        return None
    if isinstance(raw, bool):
        raise ValidationError({name: [_("A valid integer is required.")]})
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("A valid integer is required.")]}) from None


def _member(project, user_id, field="owner"):
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no user with id %(id)s.") % {"id": user_id}]})
    return user


def _run_step(run, source_step_id):
    if source_step_id is None:
        return None
    step = RunStep.objects.filter(run=run, source_step_id=source_step_id).first()
    if step is None:
        raise ValidationError({"step": [_("This run has no step %(id)s (steps are named by their runbook step's "
                                          "id).") % {"id": source_step_id}]})
    return step


class CutoverIssueViewSet(ProjectParamMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The problem log of runs. File: ops, developers, testers, managers; change and move on: ops,
    managers and the issue's owner. Issues are never deleted (they are the night's record)."""

    serializer_class = CutoverIssueSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "run", "status", "severity", "owner"]
    ordering_fields = ["opened_at", "severity", "number"]
    search_fields = ["title", "description"]

    def get_queryset(self):
        return selectors.issue_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.issue_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        run = selectors.run_get_for_user(user=request.user, pk=_int_field(request.data, "run"))
        require(request.user, "tasks.file_issue", run.project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        issue = services.issue_file(
            actor=request.user, run=run, title=data["title"], severity=data["severity"],
            description=data.get("description", ""), owner=_member(run.project, data.get("owner_id")),
            step=_run_step(run, (data.get("step") or {}).get("source_step_id")))
        return Response(self.get_serializer(self.get_object_by_pk(issue.pk)).data, status=status.HTTP_201_CREATED)

    def get_object_by_pk(self, pk):
        return selectors.issue_get_for_user(user=self.request.user, pk=pk)

    def update(self, request, *args, **kwargs):
        issue = self.get_object()
        require(request.user, "tasks.work_issue", issue)
        serializer = self.get_serializer(issue, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "run_id" in data and data.pop("run_id") != issue.run_id:
            raise ValidationError({"run": [_("An issue cannot move to another run.")]})
        changes = {key: data[key] for key in ("title", "severity", "description") if key in data}
        if "owner_id" in data:
            changes["owner"] = _member(issue.project, data["owner_id"])
        if "step" in data:
            changes["step"] = _run_step(issue.run, (data["step"] or {}).get("source_step_id"))
        issue = services.issue_update(actor=request.user, issue=issue, **changes)
        return Response(self.get_serializer(self.get_object_by_pk(issue.pk)).data)

    @extend_schema(request=IssueTransitionSerializer, responses=CutoverIssueSerializer)
    @action(detail=True, methods=["post"], serializer_class=IssueTransitionSerializer)
    def transition(self, request, pk=None):
        issue = self.get_object()
        require(request.user, "tasks.work_issue", issue)
        serializer = IssueTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = services.issue_transition(actor=request.user, issue=issue, **serializer.validated_data)
        return Response(CutoverIssueSerializer(self.get_object_by_pk(issue.pk)).data)


def _rollback_runbook(project, runbook_id):
    if runbook_id is None:
        return None
    runbook = Runbook.objects.filter(pk=runbook_id, project=project).first()
    if runbook is None:
        raise ValidationError({"rollback_runbook": [_("This project has no runbook with id %(id)s.")
                                                    % {"id": runbook_id}]})
    return runbook


def _project_from_body(request):
    return project_get_for_user(user=request.user, pk=_int_field(request.data, "project"))


class ContingencyScenarioViewSet(ProjectParamMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                 mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                                 viewsets.GenericViewSet):
    """Contingency scenarios (trigger → response → owner → rollback runbook); written by ops and managers."""

    serializer_class = ContingencyScenarioSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "owner", "rollback_runbook"]

    def get_queryset(self):
        return selectors.scenario_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.scenario_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _fields(self, project, data):
        out = {key: data[key] for key in ("trigger", "response") if key in data}
        if "owner_id" in data:
            out["owner"] = _member(project, data["owner_id"])
        if "rollback_runbook_id" in data:
            out["rollback_runbook"] = _rollback_runbook(project, data["rollback_runbook_id"])
        return out

    def create(self, request, *args, **kwargs):
        project = _project_from_body(request)
        require(request.user, "tasks.edit", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scenario = services.scenario_create(actor=request.user, project=project,
                                            **self._fields(project, serializer.validated_data))
        return Response(self.get_serializer(scenario).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        scenario = self.get_object()
        require(request.user, "tasks.edit", scenario.project)
        serializer = self.get_serializer(scenario, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        scenario = services.scenario_update(actor=request.user, scenario=scenario,
                                            **self._fields(scenario.project, serializer.validated_data))
        return Response(self.get_serializer(scenario).data)

    def destroy(self, request, *args, **kwargs):
        scenario = self.get_object()
        require(request.user, "tasks.edit", scenario.project)
        services.scenario_delete(actor=request.user, scenario=scenario)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DrillViewSet(ProjectParamMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Emergency drills of the scenarios `{project, scenario, held_at, outcome, notes, run?}`; ops and managers.
    Finished rehearsals of a rollback runbook are recorded here by themselves."""

    serializer_class = DrillSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "scenario", "outcome", "run"]
    ordering_fields = ["held_at"]

    def get_queryset(self):
        return selectors.drill_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.drill_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _fields(self, project, data):
        out = {key: data[key] for key in ("held_at", "outcome", "notes") if key in data}
        if "scenario_id" in data:
            out["scenario"] = ContingencyScenario.objects.filter(pk=data["scenario_id"], project=project).first()
            if out["scenario"] is None:
                raise ValidationError({"scenario": [_("This project has no scenario with id %(id)s.")
                                                    % {"id": data["scenario_id"]}]})
        if "run_id" in data:
            out["run"] = None
            if data["run_id"] is not None:
                out["run"] = Run.objects.filter(pk=data["run_id"], project=project, kind=RunKind.REHEARSAL).first()
                if out["run"] is None:
                    raise ValidationError({"run": [_("This project has no rehearsal run with id %(id)s.")
                                                   % {"id": data["run_id"]}]})
        return out

    def create(self, request, *args, **kwargs):
        project = _project_from_body(request)
        require(request.user, "tasks.edit", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = self._fields(project, serializer.validated_data)
        drill = services.drill_record(actor=request.user, project=project, scenario=fields["scenario"],
                                      held_at=fields["held_at"], outcome=fields["outcome"],
                                      notes=fields.get("notes", ""), run=fields.get("run"))
        return Response(self.get_serializer(drill).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        drill = self.get_object()
        require(request.user, "tasks.edit", drill.project)
        serializer = self.get_serializer(drill, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        drill = services.drill_update(actor=request.user, drill=drill,
                                      **self._fields(drill.project, serializer.validated_data))
        return Response(self.get_serializer(drill).data)

    def destroy(self, request, *args, **kwargs):
        drill = self.get_object()
        require(request.user, "tasks.edit", drill.project)
        services.drill_delete(actor=request.user, drill=drill)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MigrationEntityViewSet(ProjectParamMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                             viewsets.GenericViewSet):
    """The data-migration plan `{project, name, source, target, cleansing, transformation, deduplication,
    owner?, order?}`; written by ops and managers."""

    serializer_class = MigrationEntitySerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["project", "owner"]

    def get_queryset(self):
        return selectors.entity_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.entity_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _fields(self, project, data):
        out = {k: data[k] for k in ("name", "source", "target", "cleansing", "transformation", "deduplication",
                                   "order") if k in data}
        if "owner_id" in data:
            out["owner"] = _member(project, data["owner_id"])
        return out

    def create(self, request, *args, **kwargs):
        project = _project_from_body(request)
        require(request.user, "tasks.edit", project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entity = services.entity_create(actor=request.user, project=project,
                                        **self._fields(project, serializer.validated_data))
        return Response(self.get_serializer(entity).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        entity = self.get_object()
        require(request.user, "tasks.edit", entity.project)
        serializer = self.get_serializer(entity, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        entity = services.entity_update(actor=request.user, entity=entity,
                                        **self._fields(entity.project, serializer.validated_data))
        return Response(self.get_serializer(entity).data)

    def destroy(self, request, *args, **kwargs):
        entity = self.get_object()
        require(request.user, "tasks.edit", entity.project)
        services.entity_delete(actor=request.user, entity=entity)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnvCheckViewSet(ProjectParamMixin, ProjectScopedViewSet, viewsets.ModelViewSet):
    """Environment checklists' items `{project, category, title, location?, note?, mandatory?, owner?, due_at?}`:
    ops and managers write them; `transition/` and `evidence/` are also open to the item's owner."""

    serializer_class = EnvCheckSerializer
    rule = "tasks.edit"
    filterset_fields = ["project", "category", "status", "owner", "mandatory"]
    ordering_fields = ["due_at", "title", "category"]
    search_fields = ["title", "location"]

    def get_queryset(self):
        return selectors.envcheck_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.envcheck_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _reloaded(self, item):
        return selectors.envcheck_get_for_user(user=self.request.user, pk=item.pk)

    def perform_service_create(self, *, project, data):
        return self._reloaded(services.envcheck_create(actor=self.request.user, project=project, **data))

    def perform_service_update(self, *, instance, data):
        return self._reloaded(services.envcheck_update(actor=self.request.user, item=instance, **data))

    def perform_service_destroy(self, *, instance):
        services.envcheck_delete(actor=self.request.user, item=instance)

    @extend_schema(request=EnvCheckTransitionSerializer, responses=EnvCheckSerializer)
    @action(detail=True, methods=["post"], serializer_class=EnvCheckTransitionSerializer)
    def transition(self, request, pk=None):
        """`{to: open|ready|failed|blocked, reason?}`; failed and blocked need a reason, a mandatory item
        needs evidence before it is ready."""
        item = self.get_object()
        require(request.user, "tasks.check_env", item)
        serializer = EnvCheckTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call(services.envcheck_transition, actor=request.user, item=item, **serializer.validated_data)
        return Response(EnvCheckSerializer(self._reloaded(item)).data)

    @extend_schema(methods=["GET"], responses=EnvEvidenceSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": EnvEvidenceSerializer},
                   responses={201: EnvEvidenceSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=EnvEvidenceSerializer)
    def evidence(self, request, pk=None):
        item = self.get_object()
        if request.method == "GET":
            qs = EnvEvidence.objects.filter(item=item).select_related("item")
            return Response(EnvEvidenceSerializer(qs, many=True).data)
        require(request.user, "tasks.check_env", item)
        serializer = EnvEvidenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = call(services.envcheck_add_evidence, actor=request.user, item=item,
                        upload=request.FILES.get("file"), url=serializer.validated_data.get("url", ""),
                        note=serializer.validated_data.get("note", ""))
        return Response(EnvEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnvCheckStandardSerializer, responses=EnvCheckStandardResultSerializer)
    @action(detail=False, methods=["post"], serializer_class=EnvCheckStandardSerializer)
    def standard(self, request):
        """Copy the standard checklists (all, or `categories`) into `project`, for the whole project or one
        `location` (a site or branch); items it has are skipped."""
        serializer = EnvCheckStandardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = project_get_for_user(user=request.user, pk=serializer.validated_data["project"])
        require(request.user, "tasks.edit", project)
        created = call(services.envcheck_apply_template, actor=request.user, project=project,
                       categories=serializer.validated_data.get("categories"),
                       location=serializer.validated_data.get("location", ""))
        items = selectors.envcheck_list_for_user(user=request.user).filter(pk__in=[c.pk for c in created])
        return Response({"created": len(created), "items": EnvCheckSerializer(items, many=True).data})
