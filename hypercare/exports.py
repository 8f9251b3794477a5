"""Files of hypercare: the lessons-learned report as a PDF (the same content as its printable page)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.pdf import Report, stamp_line
from projects.people import display_name


def lessons_pdf(project, retrospective, *, printed_at=None) -> bytes:
    """`retrospective` is selectors.retrospective(...): the items by kind, the most voted, the actions."""
    printed_at = printed_at or timezone.now()
    r = retrospective
    items, actions = r["items"], r["actions"]
    doc = Report(
        title=_("Lessons learned report"), subtitle=f"{project.name} · {project.code}",
        meta=" · ".join([
            _("Go-live") + (f" {timezone.localtime(project.go_live_at):%Y-%m-%d}" if project.go_live_at else " —"),
            ngettext("%(n)d item", "%(n)d items", len(items)) % {"n": len(items)},
            ngettext("%(n)d action", "%(n)d actions", len(actions)) % {"n": len(actions)}]),
        footer=stamp_line(printed_at, _("Lessons learned"), project.code))
    if r["top"]:
        doc.heading(_("Most voted"))
        doc.table([_("Item"), _("Kind"), _("Votes")],
                  [[i.text, i.get_kind_display(), i.vote_count] for i in r["top"]], widths=(6, 1.5, 1), align="LLR")
    for col in r["columns"]:
        doc.heading(str(col["label"]))
        doc.table([_("Item"), _("Votes"), _("Author"), _("Date")],
                  [[i.text, i.vote_count, display_name(i.author), f"{timezone.localtime(i.created_at):%Y-%m-%d}"]
                   for i in col["items"]], widths=(6, 1, 1.6, 1.4), align="LRLL", empty=_("Nothing yet."))
    doc.heading(_("Actions"))
    doc.table([_("Action"), _("Owner"), _("Due date"), _("Status")],
              [[a.title, display_name(a.owner), f"{a.due_date:%Y-%m-%d}",
                a.get_status_display() + (f" · {_('overdue')}" if a.overdue else "")
                + (f" {timezone.localtime(a.done_at):%Y-%m-%d}" if a.done_at else "")] for a in actions],
              widths=(5, 1.6, 1.4, 1.8), empty=_("No actions yet."))
    doc.signoff([_("Project manager")], labels=(_("Name"), _("Signature"), _("Date")))
    return doc.output()
