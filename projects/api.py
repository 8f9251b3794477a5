"""REST API of the projects app (docs/api.md). Thin: services do the work."""

import csv

from django.contrib.auth import authenticate
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import mywork, selectors, services
from .api_base import ERRORS_AUTH, ProjectScopedViewSet, call, require
from .audit import audit_rows
from .models import ApiToken, Department, Membership, Milestone, OnCallShift, Responsibility
from .security import LoginFailureThrottle
from .serializers import (
    AuditEntrySerializer,
    DepartmentSerializer,
    MembershipSerializer,
    MilestoneSerializer,
    MyWorkQuerySerializer,
    MyWorkSerializer,
    PortfolioSerializer,
    ProjectCloneSerializer,
    ProjectSerializer,
    ResponsibilitySerializer,
    ShiftSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


def _token_response(token, key, code=status.HTTP_200_OK):
    return Response({"token": key, "expires_at": token.expires_at}, status=code)


def _token_of(request):
    if not isinstance(request.auth, ApiToken):
        raise ValidationError({"detail": _("Send the token itself: Authorization: Token <key>.")})
    return request.auth


def _my_project_ids(request):
    """The caller's projects, as a subquery (no join, no DISTINCT; nothing for the anonymous schema view)."""
    return Membership.objects.filter(user_id=request.user.pk).values("project_id")


class _CredentialsOnly(BaseAuthentication):
    """The token endpoint reads no credentials but its own; a wrong password is a 401 (Token realm)."""

    def authenticate(self, request):
        return None

    def authenticate_header(self, request):
        return "Token"


@extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer, **ERRORS_AUTH},
               auth=[])
@api_view(["POST"])
@authentication_classes([_CredentialsOnly])
@permission_classes([AllowAny])
@throttle_classes([LoginFailureThrottle])
def obtain_token(request):
    """Exchange a username and password for an API token that expires (`expires_at`).

    Failed attempts count against the caller's address (successful ones never do) and lock the
    username like the login page."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(request._request, username=serializer.validated_data["username"],
                        password=serializer.validated_data["password"])
    if getattr(request._request, "axes_locked_out", False):
        raise Throttled(detail=_("Too many failed log-in attempts. Try again later."))
    if user is None or not user.is_active:
        raise AuthenticationFailed(_("Unable to log in with the username and password given."))
    token, key = services.api_token_issue(user=user)
    return _token_response(token, key)


@extend_schema(request=None, responses={200: TokenSerializer, **ERRORS_AUTH})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def rotate_token(request):
    """Revoke the token this request carries and return a fresh one."""
    token, key = call(services.api_token_rotate, token=_token_of(request))
    return _token_response(token, key)


@extend_schema(request=None, responses={204: None, **ERRORS_AUTH})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def revoke_token(request):
    """Revoke the token this request carries; it answers 401 from now on."""
    services.api_token_revoke(token=_token_of(request))
    return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = ProjectSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["phase", "code"]
    search_fields = ["name", "code", "description"]
    ordering_fields = ["go_live_at", "name", "code"]

    def get_queryset(self):
        return selectors.project_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.project_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        if not request.user.has_perm("projects.create"):
            raise PermissionDenied(_("Only staff users may create projects."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        project = self.get_object()
        require(request.user, "projects.manage", project)
        serializer = self.get_serializer(project, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        project = services.project_update(actor=request.user, project=project, **serializer.validated_data)
        return Response(self.get_serializer(project).data)

    @extend_schema(request=ProjectCloneSerializer, responses={201: ProjectSerializer})
    @action(detail=True, methods=["post"], serializer_class=ProjectCloneSerializer)
    def clone(self, request, pk=None):
        """A new project from this one as a template: runbooks and steps, courses, RACI areas, SLA, readiness
        targets, go/no-go roles and contingency scenarios; no people, defects, runs or answers. For a manager
        of this project who is a staff user; the caller becomes the new project's manager."""
        source = self.get_object()
        require(request.user, "projects.clone", source)
        serializer = ProjectCloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = call(services.project_clone, source=source, actor=request.user, **serializer.validated_data)
        return Response(ProjectSerializer(project, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipSerializer, responses=MembershipSerializer(many=True))
    @action(detail=True, methods=["get", "post"], serializer_class=MembershipSerializer)
    def members(self, request, pk=None):
        project = self.get_object()
        context = _member_context(request, project)
        if request.method == "GET":
            page = self.paginate_queryset(selectors.roster(project=project, role=request.query_params.get("role"),
                                                           q=request.query_params.get("search"),
                                                           contacts=context["see_contacts"]))
            return self.get_paginated_response(MembershipSerializer(page, many=True, context=context).data)
        require(request.user, "projects.manage", project)
        serializer = MembershipSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_add(actor=request.user, project=project, **serializer.validated_data)
        return Response(MembershipSerializer(membership, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["get", "patch", "delete"], url_path=r"members/(?P<membership_id>\d+)",
            serializer_class=MembershipSerializer)
    def member(self, request, pk=None, membership_id=None):
        project = self.get_object()
        membership = get_object_or_404(Membership, pk=membership_id, project=project)
        context = _member_context(request, project)
        if request.method == "GET":
            return Response(MembershipSerializer(membership, context=context).data)
        require(request.user, "projects.manage", project)
        if request.method == "DELETE":
            services.membership_remove(actor=request.user, membership=membership)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = MembershipSerializer(membership, data=request.data, partial=True, context=context)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "user"}
        membership = services.membership_update(actor=request.user, membership=membership, **data)
        return Response(MembershipSerializer(membership, context=context).data)


def _member_context(request, project):
    """Serializer context for memberships: phone numbers for managers and ops (and one's own)."""
    return {"request": request, "project": project,
            "see_contacts": request.user.has_perm("projects.see_contacts", project)}


class DepartmentViewSet(ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = DepartmentSerializer
    filterset_fields = ["project", "name"]
    search_fields = ["name"]

    def get_queryset(self):
        return Department.objects.filter(project__in=selectors.project_list_for_user(user=self.request.user)
                                         .values("pk")).order_by("project_id", "name")

    def perform_service_create(self, *, project, data):
        return services.department_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.department_update(actor=self.request.user, department=instance,
                                          name=data.get("name", instance.name))

    def perform_service_destroy(self, *, instance):
        instance.delete()


class MilestoneViewSet(ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = MilestoneSerializer
    filterset_fields = ["project", "phase", "owner"]
    ordering_fields = ["planned_date", "actual_date"]

    def get_queryset(self):
        return Milestone.objects.filter(project_id__in=_my_project_ids(self.request)) \
            .select_related("owner").order_by("planned_date", "id")

    def perform_service_create(self, *, project, data):
        return services.milestone_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.milestone_update(actor=self.request.user, milestone=instance, **data)

    def perform_service_destroy(self, *, instance):
        services.milestone_delete(actor=self.request.user, milestone=instance)


class ResponsibilityViewSet(ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = ResponsibilitySerializer
    filterset_fields = ["project", "area", "user", "raci"]

    def get_queryset(self):
        return Responsibility.objects.filter(project_id__in=_my_project_ids(self.request)) \
            .order_by("area", "user_id")

    def perform_service_create(self, *, project, data):
        return services.responsibility_set(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        if ("area" in data and data["area"] != instance.area) or ("user" in data and data["user"] != instance.user):
            services.responsibility_set(actor=self.request.user, project=instance.project, area=instance.area,
                                        user=instance.user, raci="")
        return services.responsibility_set(
            actor=self.request.user, project=instance.project, area=data.get("area", instance.area),
            user=data.get("user", instance.user), raci=data.get("raci", instance.raci))

    def perform_service_destroy(self, *, instance):
        services.responsibility_set(actor=self.request.user, project=instance.project, area=instance.area,
                                    user=instance.user, raci="")


class ShiftViewSet(ProjectScopedViewSet, viewsets.ModelViewSet):
    serializer_class = ShiftSerializer
    rule = "projects.manage_rota"
    filterset_fields = ["project", "user"]
    ordering_fields = ["starts_at"]

    def get_queryset(self):
        return OnCallShift.objects.filter(project_id__in=_my_project_ids(self.request)) \
            .select_related("user").order_by("starts_at", "id")

    def perform_service_create(self, *, project, data):
        return services.shift_create(actor=self.request.user, project=project, **data)

    def perform_service_update(self, *, instance, data):
        return services.shift_update(actor=self.request.user, shift=instance, **data)

    def perform_service_destroy(self, *, instance):
        services.shift_delete(actor=self.request.user, shift=instance)


def _audit_project(request):
    raw = request.query_params.get("project")
    if raw in (None, ""):
        raise ValidationError({"project": [_("This field is required.")]})
    project = selectors.project_get_for_user(user=request.user, pk=raw)
    require(request.user, "projects.audit_view", project)
    errors = selectors.audit_filter_errors(request.query_params)
    if errors:
        raise ValidationError(errors)
    return project


class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The project-wide audit log, for managers: `?project=<id>` (required), `actor` (user id or login),
    `model` (app_label.model), `since`/`until` (YYYY-MM-DD), `object_id`, `action` (+ ~ -). Append-only."""

    serializer_class = AuditEntrySerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        project = _audit_project(self.request)
        return selectors.audit_log(project=project, filters=self.request.query_params)


class _Echo:
    def write(self, value):
        return value


@extend_schema(responses={(200, "text/csv"): str}, operation_id="audit_csv")
@api_view(["GET"])
def audit_csv(request):
    """The filtered audit log as CSV (the same filters as /api/v1/audit/), streamed."""
    project = _audit_project(request)
    entries = selectors.audit_log(project=project, filters=request.query_params).iterator(chunk_size=2000)
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"
        for row in audit_rows(entries):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.code}-audit.csv"'
    return response


@extend_schema(responses=PortfolioSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def portfolio(request):
    """Every launch the caller is a member of, with its readiness, and the conflicts among them: the
    same person on call or owning cutover steps in overlapping windows of two projects, from now on."""
    data = selectors.portfolio(user=request.user)
    return Response(PortfolioSerializer(data).data)
@extend_schema(parameters=[MyWorkQuerySerializer], responses=MyWorkSerializer, operation_id="me_work")
@api_view(["GET"])
def my_work(request):
    """The caller's own open work in a project, most urgent first (the project home shows the same list).

    `project` is required; a project the caller is not a member of is 404."""
    query = MyWorkQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    project = selectors.project_get_for_user(user=request.user, pk=query.validated_data["project"])
    summary = mywork.cached_summary(request.user, project)
    return Response(MyWorkSerializer({"items": summary["items"], "totals": summary["totals"]}).data)
