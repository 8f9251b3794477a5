"""What every project page needs: the membership check, the permission check, htmx partials."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .api_base import require
from .selectors import project_get_for_user


def project_view(rule="projects.view"):
    """Load the project from the `pk` URL argument: 404 for non-members, 403 without `rule`."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, pk, *args, **kwargs):
            project = project_get_for_user(user=request.user, pk=pk)
            request.project = project
            require(request.user, rule, project)
            return view(request, project, *args, **kwargs)

        wrapper.project_rule = rule  # lets templates ask whether a link would open (templatetags.opens_for)
        return wrapper

    return decorate


def fragment_wanted(request):
    """True when htmx asks for a piece of the page: not for a boosted link or form (which wants
    the whole page, e.g. a plain form boosted so that its hx-confirm asks first), nor when htmx
    restores a page from history."""
    htmx = getattr(request, "htmx", False)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(request, template, context, partial=None):
    """Full page normally; just `template#partial` for an htmx request that is not a boost.

    htmx restoring a page from history (Back, with its own cache off) asks for the whole page.
    Every response carries `Vary: HX-Request` (projects.middleware.VaryOnHtmxMiddleware), so the
    browser never shows a cached fragment as the page."""
    htmx = getattr(request, "htmx", False)
    if partial and htmx and not htmx.boosted and not htmx.history_restore_request:
        template = f"{template}#{partial}"
    return render(request, template, context)


def form_error(form, exc):
    """Show a service's DomainError on the form field it names (or the whole form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))
    return form
