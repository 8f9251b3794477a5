"""The work-item export kind (see projects.export_registry): the preparation checklist, with its filters.

The import's columns (title, owner as a username, due, category as the phase) carry the import
template's headers, so the file can be edited and imported again; status, the reason it is
blocked, when it was done and the owner's name are extras the import ignores."""

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import export_registry as registry
from projects.models import Phase
from projects.people import display_name

from .import_kinds import WORK_ITEMS
from .models import WorkItemStatus


def workitem_table(*, user, project, params):
    """Every work item by due date (undated last); the page's filters `mine=1`, `status`, `phase`."""
    params = params or {}
    qs = project.work_items.select_related("owner")
    status, phase = params.get("status") or "", params.get("phase") or ""
    if status and status not in WorkItemStatus.values:
        raise registry.FilterError(_("The filter status takes one of: %(v)s.") % {"v": ", ".join(WorkItemStatus.values)},
                                   field="status")
    if phase and phase not in Phase.values:
        raise registry.FilterError(_("The filter phase takes one of: %(v)s.") % {"v": ", ".join(Phase.values)},
                                   field="phase")
    if status:
        qs = qs.filter(status=status)
    if phase:
        qs = qs.filter(phase=phase)
    if params.get("mine") == "1":
        qs = qs.filter(owner=user)
    qs = qs.order_by(F("due_at").asc(nulls_last=True), "id")
    header = registry.import_header(WORK_ITEMS, extra_after=[_("Status"), _("Blocked because"), _("Done at"),
                                                              _("Owner's name")])

    def rows():
        for w in qs.iterator(chunk_size=2000):
            yield [w.title, w.owner.username if w.owner_id else "", w.due_at, w.get_phase_display(),
                   w.get_status_display(), w.blocked_reason, w.done_at, display_name(w.owner) if w.owner_id else ""]

    return header, rows()


WORK_ITEMS_EXPORT = registry.register(registry.ExportKind(
    key="work-items", label=gettext_lazy("Work items"), table=workitem_table, rule="tasks.view",
    widths=(44, 16, 16, 14, 12, 30, 16, 16)))
