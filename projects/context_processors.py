"""The project nav and header links of every project page (projects.hooks collects them)."""

from functools import cache

from . import hooks, mywork


def navigation(request):
    project = getattr(request, "project", None)
    if project is None:
        return {}
    context = {"project": project, "project_nav": hooks.navigation(request.user, project),
               "header_links": hooks.header_links(request.user, project)}
    if request.user.is_authenticated:
        # The top bar's count: computed when the page shows it (a template calls a callable), once,
        # and cached per person and project (projects.mywork), so a cache hit costs no query.
        context["my_work_count"] = cache(lambda: mywork.count_for_request(request, project))
    return context
