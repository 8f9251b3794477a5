"""Shared DRF plumbing: pagination, the error format, and permission helpers."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse
from rest_framework import pagination, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    # ?page_size= of 0 or junk falls back to the default; next/previous links carry the size really used.
    def _with_real_size(self, url):
        if url and self.page_size_query_param in self.request.query_params:
            return replace_query_param(url, self.page_size_query_param, self.page.paginator.per_page)
        return url

    def get_next_link(self):
        return self._with_real_size(super().get_next_link())

    def get_previous_link(self):
        return self._with_real_size(super().get_previous_link())


def _first_message(data):
    if isinstance(data, dict):
        for key, value in data.items():
            msg = _first_message(value)
            if msg:
                return msg if key in ("detail", "non_field_errors") else f"{key}: {msg}"
    elif isinstance(data, list) and data:
        return _first_message(data[0])
    elif data:
        return str(data)
    return ""


def exception_handler(exc, context):
    """Every error is JSON with a human `detail`; field errors also sit under the field's name."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _("The request body is too large.")},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, IntegrityError):
        # A constraint the service did not check first (two requests racing): a conflict, never a 500.
        return Response({"detail": _("This conflicts with an existing record; reload and try again.")},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, SuspiciousOperation):  # too many fields, a malformed multipart body...
        return Response({"detail": _("The request could not be read: %(why)s") % {"why": exc}},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        response.data = {"detail": "Not found."}
    data = response.data
    if isinstance(data, list):
        data = {"detail": _first_message(data), "non_field_errors": data}
    elif isinstance(data, dict) and "detail" not in data:
        data = {"detail": _first_message(data), **data}
    response.data = data
    return response


class RulePermission:
    """DRF object permission backed by a django-rules rule: `RulePermission.for_rule("x.y")`."""

    rule = None

    @classmethod
    def for_rule(cls, rule):
        return type(f"RulePermission[{rule}]", (cls,), {"rule": rule})

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        return request.user.has_perm(self.rule, obj)


def require(user, rule, obj):
    """Raise 403 unless `user` may `rule` on `obj` (call after the 404 membership check)."""
    if not user.has_perm(rule, obj):
        raise DjangoPermissionDenied(_("You do not have permission to do this in this project."))


class ErrorSerializer(serializers.Serializer):
    """Every 4xx/5xx answer under /api/: a sentence for a person; field errors under the field's name."""

    detail = serializers.CharField()


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


# The error answers documented on every operation (projects.schema adds them); views may add more.
ERRORS_AUTH = {400: _error("Bad input: `detail` and the field's name say what to change."),
               401: _error("Not logged in, or the token is invalid, expired or revoked."),
               429: _error("Too many requests or failed log-ins; see Retry-After.")}
ERRORS = {**ERRORS_AUTH, 403: _error("A member of the project without the role for this."),
          404: _error("No such object, or not in one of your projects (the same answer)."),
          405: _error("The resource does not support this method."),
          409: _error("Conflicts with an existing record (e.g. two requests at once)."),
          413: _error("The request body is over the limit.")}


class ProjectScopedViewSet:
    """Mixin for viewsets of objects that belong to a project.

    Subclasses set `rule` (who may write) and implement `get_queryset` (a selector limited to
    the user's projects), `perform_service_create(project, data)` and, where editable,
    `perform_service_update(instance, data)` / `perform_service_destroy(instance)`.
    Order of checks: not a member → 404, member without the role → 403, bad input → 400.
    """

    rule = "projects.manage"

    def __init_subclass__(cls, **kwargs):
        # Only the methods a resource supports are routed (and documented): the rest is a 405,
        # never a 500 from a missing perform_service_* hook.
        super().__init_subclass__(**kwargs)
        dropped = set()
        if not callable(getattr(cls, "perform_service_update", None)) and cls.update is ProjectScopedViewSet.update:
            dropped |= {"put", "patch"}
        if not getattr(cls, "supports_put", True):
            dropped.add("put")
        if not callable(getattr(cls, "perform_service_destroy", None)) and cls.destroy is ProjectScopedViewSet.destroy:
            dropped.add("delete")
        if dropped:
            cls.http_method_names = [m for m in cls.http_method_names if m not in dropped]

    def project_from_request(self):
        from .selectors import project_get_for_user

        raw = self.request.data.get("project") if hasattr(self.request.data, "get") else None
        if raw in (None, ""):
            raise ValidationError({"project": [_("This field is required.")]})
        return project_get_for_user(user=self.request.user, pk=raw)

    def create(self, request, *args, **kwargs):
        project = self.project_from_request()
        require(request.user, self.rule, project)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project", None)
        instance = self.perform_service_create(project=project, data=data)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        require(request.user, self.rule, instance)
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "project" in data and data.pop("project").pk != instance.project_id:
            raise ValidationError({"project": [_("An object cannot move to another project.")]})
        instance = self.perform_service_update(instance=instance, data=data)
        return Response(self.get_serializer(instance).data)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        require(request.user, self.rule, instance)
        self.perform_service_destroy(instance=instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectFilterBackend(DjangoFilterBackend):
    """`?project=<id>`: a project that does not exist and one the caller is not a member of get the
    same 404, on every list (the filters' own choice check would tell them apart)."""

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get("project")
        if raw not in (None, "") and request.user.is_authenticated:
            from .selectors import project_get_for_user

            project_get_for_user(user=request.user, pk=raw)
        return super().filter_queryset(request, queryset, view)


class ProjectFilterMixin:
    """?project=<id> of a project the caller is not a member of is a 404, like the object itself."""

    def list(self, request, *args, **kwargs):
        raw = request.query_params.get("project")
        if raw not in (None, ""):
            from .selectors import project_get_for_user

            project_get_for_user(user=request.user, pk=raw)
        return super().list(request, *args, **kwargs)


def call(service, **kwargs):
    """Run a service; a refusal for lack of rights is a 403, any other refusal a 400."""
    try:
        return service(**kwargs)
    except DomainError as exc:
        if exc.code == "permission":
            raise PermissionDenied(str(exc.message)) from exc
        raise
