"""`{% export_menu "defects" %}`: the list page's "Export" menu (.xlsx, .csv) with the page's filters.

Put it inside the page's htmx partial: filtering re-renders the partial, so the links always carry the
filters on screen. Shown only to readers the kind's rule lets export (projects.export_registry)."""

from django import template
from django.urls import reverse

from projects import export_registry

register = template.Library()


@register.inclusion_tag("projects/_export_menu.html", takes_context=True)
def export_menu(context, kind_key, label=""):
    request, project = context.get("request"), context.get("project")
    kind = export_registry.get_kind(kind_key)
    if request is None or project is None or kind is None or not kind.allowed(request.user, project):
        return {"show": False}
    params = request.GET.copy()
    for key in ("page", "edit"):
        params.pop(key, None)
    query = f"?{params.urlencode()}" if params else ""
    return {"show": True, "label": label or kind.label, "filtered": bool(params),
            "xlsx": reverse("projects:export_xlsx", args=[project.pk, kind.key]) + query,
            "csv": reverse("projects:export_csv", args=[project.pk, kind.key]) + query}
