"""Template helpers of the cutover pages."""

from django import template

register = template.Library()


@register.filter
def person(user):
    """Full name, else username, else a dash (safe for steps without an owner)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
