"""The requirements export kind (see projects.export_registry): the requirements list, with its filters.

The import's columns (title, description, priority, department, acceptance criteria) carry the import
template's headers, so the file can be edited and imported again; code, status, version, open
conflicts and the last change are extras the import ignores."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import export_registry as registry

from .forms import RequirementFilterForm
from .import_kinds import REQUIREMENTS
from .selectors import requirement_list


def requirement_table(*, user, project, params):
    f = registry.filter_errors(RequirementFilterForm(params or None))
    if f.get("department") not in (None, "", "none") and not str(f["department"]).isdigit():
        raise registry.FilterError(_("The filter department takes a department's id (or “none”)."), field="department")
    qs = requirement_list(user=user, project=project, status=f.get("status"), department=f.get("department"),
                          priority=f.get("priority"), q=f.get("q"), sort=f.get("sort"))
    header = registry.import_header(REQUIREMENTS, extra_before=[_("Code")],
                                    extra_after=[_("Status"), _("Version"), _("Open conflicts"), _("Updated")])

    def rows():
        for r in qs.iterator(chunk_size=2000):
            yield [r.code, r.title, r.description, r.get_priority_display(),
                   r.department.name if r.department else "", r.acceptance_criteria,
                   r.get_status_display(), r.version, r.open_conflicts, r.updated_at]

    return header, rows()


REQUIREMENTS_EXPORT = registry.register(registry.ExportKind(
    key="requirements", label=gettext_lazy("Requirements"), table=requirement_table, rule="requirements.view",
    widths=(10, 40, 60, 10, 18, 50, 16, 8, 10, 16)))
