"""Small presentation helpers: CSP-safe SVG bars, percentages, role labels."""

from urllib.parse import urlsplit

from django import template
from django.urls import Resolver404, resolve
from django.utils.html import format_html
from django.utils.translation import gettext as _

from projects.models import Role
from projects.people import display_name

register = template.Library()


@register.filter
def opens_for(url, request):
    """Would `url` open for this request's user? Readiness and go/no-go link each criterion to
    the page listing its blockers, and some of those pages are for some roles only (training
    coverage is the trainers'): show the label without a link rather than a link to a 403."""
    if not url:
        return False
    try:
        match = resolve(urlsplit(str(url)).path)
    except Resolver404:
        return True  # not one of ours to judge
    rule = getattr(match.func, "project_rule", None)
    project = getattr(request, "project", None)
    if rule is None or project is None or match.kwargs.get("pk") != project.pk:
        return True
    return request.user.has_perm(rule, project)


def _pct(value, total):
    try:
        value, total = float(value or 0), float(total or 0)
    except (TypeError, ValueError):
        return 0.0
    if total <= 0:
        return 0.0
    return max(0.0, min(100.0, value * 100.0 / total))


@register.filter
def pct(value, total):
    """Whole-number percentage of value over total (0 when total is 0)."""
    return round(_pct(value, total))


@register.simple_tag
def bar(value, total=100, tone="", label=""):
    """A horizontal progress bar as inline SVG (no inline style, so CSP stays strict)."""
    width = round(_pct(value, total), 2)
    tone = tone or ("good" if width >= 95 else "warn" if width >= 60 else "bad")
    title = label or f"{round(width)}%"
    return format_html(
        '<svg class="bar bar-{}" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="{}">'
        '<title>{}</title><rect class="bar-bg" width="100" height="6" rx="1"/>'
        '<rect class="bar-fg" width="{}" height="6" rx="1"/></svg>',
        tone, title, title, width,
    )


@register.simple_tag
def rota_bar(left, width, label, css="", title=""):
    """One rota row: a bar at left..left+width percent of the day with its label on the bar.

    No viewBox, so x and width are percentages of the lane and the text is not stretched. A label for
    a bar that starts late in the day ends just before the bar instead, so it does not run off the lane.
    """
    left = max(0.0, min(100.0, float(left)))
    width = max(0.3, min(100.0 - left, float(width)))
    if left > 70:
        dx, anchor = -4, "end"  # beside the bar's start, clear of the row's remove button on the right
    else:
        dx, anchor = 4, "start"
    return format_html(
        '<svg class="rota-bar {}" width="100%" height="20" role="img" aria-label="{}"><title>{}</title>'
        '<rect x="{}%" y="1" width="{}%" height="18" rx="3"/>'
        '<text x="{}%" dx="{}" y="14" text-anchor="{}">{}</text></svg>',
        css, label, title or label, f"{left:.2f}", f"{width:.2f}", f"{left:.2f}", dx, anchor, label,
    )


@register.filter
def role_label(value):
    try:
        return Role(value).label
    except ValueError:
        return value


@register.simple_tag(takes_context=True)
def can(context, rule, obj):
    """{% can "projects.manage" project as ok %}: the same rules as views and the API."""
    user = context.get("user") or context["request"].user
    return user.has_perm(rule, obj)


@register.filter
def yesno_icon(value):
    return "✓" if value else "—"


@register.simple_tag
def query_transform(request, **kwargs):
    """Current querystring with some keys replaced (for sort and page links)."""
    params = request.GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def signed(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return value
    return f"+{value}" if value > 0 else str(value)


@register.simple_tag
def dash():
    return _("—")


@register.filter
def person(user, empty="—"):
    """A person's display name (projects.people.display_name), or `empty` for nobody."""
    if not user:
        return empty
    return display_name(user)


@register.filter
def minutes(value):
    """A duration in minutes as people say it: "45 min", "8 h 25 min", "2 d 3 h"."""
    try:
        total = int(value or 0)
    except (TypeError, ValueError):
        return value
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins} if mins else _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": mins}
