"""Template helpers of the cutover pages."""

from django import template

from projects.people import display_name

register = template.Library()


@register.filter
def person(user):
    """Full name, else username, else a dash (safe for steps without an owner)."""
    if user is None:
        return "—"
    return display_name(user)
