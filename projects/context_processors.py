"""The project nav and header links of every project page (projects.hooks collects them)."""

from . import hooks


def navigation(request):
    project = getattr(request, "project", None)
    if project is None:
        return {}
    return {"project": project, "project_nav": hooks.navigation(request.user, project),
            "header_links": hooks.header_links(request.user, project)}
