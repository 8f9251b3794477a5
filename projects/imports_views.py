"""The import page and the import API (DESIGN.md "Import"); the work is in projects.imports."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, parser_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from . import imports
from .errors import DomainError
from .selectors import project_get_for_user
from .views_base import render_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind_for(user, project, key):
    kind = imports.get_kind(key)
    if kind is None:
        raise Http404
    return kind, kind.allowed(user, project)


def _template_response(kind, project):
    response = HttpResponse(imports.template_xlsx(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{project.code}-{kind.key}-template.xlsx"'
    return response


def _truthy(value):
    return str(value or "").lower() in {"1", "true", "yes", "on"}


@extend_schema(request={"multipart/form-data": {"type": "object", "properties": {"file": {"type": "string",
               "format": "binary"}}}}, parameters=[OpenApiParameter("dry_run", bool)],
               responses={200: dict, 400: dict}, summary="Import people, requirements, test cases, work items or "
               "milestones from .xlsx or .csv: all rows or none")
@api_view(["POST"])
@parser_classes([MultiPartParser, FormParser])
def import_api(request, pk, kind):
    project = project_get_for_user(user=request.user, pk=pk)
    kind, allowed = _kind_for(request.user, project, kind)
    if not allowed:
        raise PermissionDenied(_("You may not import %(kind)s into this project.") % {"kind": kind.label})
    try:
        result = imports.run_import(actor=request.user, project=project, kind=kind,
                                    upload=request.FILES.get("file"), dry_run=_truthy(request.query_params.get("dry_run")))
    except imports.FileError as exc:
        return Response({"created": 0, "updated": 0, "detail": str(exc.message),
                         "errors": [{"row": None, "column": "", "message": str(exc.message)}]},
                        status=413 if exc.code == "too_large" else 400)
    return Response(result.as_dict(), status=200 if result.ok else 400)


@extend_schema(responses={(200, XLSX): bytes}, summary="The .xlsx template of an import kind")
@api_view(["GET"])
def import_template_api(request, pk, kind):
    project = project_get_for_user(user=request.user, pk=pk)
    kind, allowed = _kind_for(request.user, project, kind)
    if not allowed:
        raise PermissionDenied(_("You may not import %(kind)s into this project.") % {"kind": kind.label})
    return _template_response(kind, project)


@login_required
def import_page(request, pk, kind=None):
    """Choose a kind and a file; a dry run shows every row's outcome and every bad row, then import for real."""
    project = project_get_for_user(user=request.user, pk=pk)
    request.project = project
    available = [k for k in imports.kinds() if k.allowed(request.user, project)]
    if kind is None and available:
        kind = available[0].key
    kind, allowed = _kind_for(request.user, project, kind)
    if not allowed:
        raise DjangoPermissionDenied
    result, problem = None, None
    if request.method == "POST":
        dry_run = request.POST.get("action") != "import"
        try:
            result = imports.run_import(actor=request.user, project=project, kind=kind,
                                        upload=request.FILES.get("file"), dry_run=dry_run)
        except imports.FileError as exc:
            problem = exc.message
        except DomainError as exc:  # pragma: no cover - permission was checked above
            raise DjangoPermissionDenied(exc.message) from exc
    return render_page(request, "projects/import.html", {
        "project": project, "kind": kind, "kinds": available, "result": result, "problem": problem,
    }, partial="result")


@login_required
def import_template(request, pk, kind):
    project = project_get_for_user(user=request.user, pk=pk)
    kind, allowed = _kind_for(request.user, project, kind)
    if not allowed:
        raise DjangoPermissionDenied
    return _template_response(kind, project)
