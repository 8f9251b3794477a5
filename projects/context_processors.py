from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# Per-project navigation: (label, url name, section key). Apps not built yet are skipped.
NAV = [
    (_("Home"), "projects:home", "home"),
    (_("Requirements"), "requirements:list", "requirements"),
    (_("Testing"), "defects:list", "testing"),
    (_("Training"), "training:catalogue", "training"),
    (_("Cutover"), "tasks:runbooks", "cutover"),
    (_("Hypercare"), "defects:hypercare", "hypercare"),
    (_("Lessons learned"), "projects:lessons", "lessons"),
    (_("Team"), "projects:roster", "team"),
    (_("Readiness"), "projects:readiness", "readiness"),
]


def navigation(request):
    project = getattr(request, "project", None)
    if project is None:
        return {}
    items = []
    for label, name, key in NAV:
        try:
            url = reverse(name, args=[project.pk])
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "key": key})
    feedback_url = None
    try:
        feedback_url = reverse("defects:feedback_new", args=[project.pk])
    except NoReverseMatch:
        pass
    return {"project": project, "project_nav": items, "feedback_url": feedback_url}
