"""Exports as files (DESIGN.md "Export"): the API and the pages' "Export" menu; the work is in
projects.export_registry and each app's export_kinds.py."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, content_negotiation_class
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation

from . import export_registry as registry
from .selectors import project_get_for_user

# The kinds of the contract, for the schema (the registry fills up in the apps' ready(); a test
# checks that the two agree).
CONTRACT_KINDS = ["people", "requirements", "test-cases", "defects", "work-items", "milestones", "risks",
                  "traceability"]


class _JsonForErrors(BaseContentNegotiation):
    """A file is the answer whatever the Accept header says; errors are JSON (never a 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _kind_for(user, project, key):
    kind = registry.get_kind(key)
    if kind is None:
        raise Http404
    return kind, kind.allowed(user, project)


def export_response(*, user, project, kind, fmt, params):
    """The file: .xlsx built at once, .csv streamed (a big defect list is never held whole).

    Raises registry.FilterError for a filter the list page would not accept."""
    language = translation.get_language()
    header, rows = kind.table(user=user, project=project, params=params)
    if fmt == "xlsx":
        response = HttpResponse(registry.xlsx_bytes(kind.label, header, rows, kind.widths), content_type=registry.XLSX)
    else:
        def stream():
            with translation.override(language):  # the rows are rendered while the response is sent
                yield from registry.csv_stream(header, rows)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{registry.filename(project, kind, fmt)}"'
    return response


def _api(request, pk, kind, fmt):
    project = project_get_for_user(user=request.user, pk=pk)
    kind, allowed = _kind_for(request.user, project, kind)
    if not allowed:
        raise PermissionDenied(_("You may not export %(kind)s of this project.") % {"kind": kind.label})
    return export_response(user=request.user, project=project, kind=kind, fmt=fmt, params=request.query_params)


_KIND = OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=CONTRACT_KINDS,
                         description="What to export. Filters of the matching list page apply (e.g. defects: "
                                     "`severity`, `status`, `category`, `open`, `q`; requirements: `status`, "
                                     "`priority`, `department`, `q`).")
_SUMMARY = ("Export people, requirements, test cases, defects, work items, milestones, risks or the traceability "
            "matrix as %s: what the caller may see, with the list page's filters")


@extend_schema(parameters=[_KIND], responses={(200, registry.XLSX): OpenApiTypes.BINARY},
               operation_id="project_export_xlsx", summary=_SUMMARY % "an Excel workbook")
@api_view(["GET"])
@content_negotiation_class(_JsonForErrors)
def export_xlsx_api(request, pk, kind):
    return _api(request, pk, kind, "xlsx")


@extend_schema(parameters=[_KIND], responses={(200, "text/csv"): OpenApiTypes.STR},
               operation_id="project_export_csv", summary=_SUMMARY % "CSV (UTF-8 with a BOM)")
@api_view(["GET"])
@content_negotiation_class(_JsonForErrors)
def export_csv_api(request, pk, kind):
    return _api(request, pk, kind, "csv")


@login_required
def export_page(request, pk, kind, fmt):
    """The same file for the pages' "Export" menu (a login redirect and HTML errors, not JSON)."""
    project = project_get_for_user(user=request.user, pk=pk)
    request.project = project
    kind, allowed = _kind_for(request.user, project, kind)
    if not allowed:
        raise DjangoPermissionDenied
    try:
        return export_response(user=request.user, project=project, kind=kind, fmt=fmt, params=request.GET)
    except registry.FilterError as exc:
        return HttpResponseBadRequest(str(exc.message), content_type="text/plain; charset=utf-8")
