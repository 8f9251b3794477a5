from django import template

from projects.people import display_name

register = template.Library()


@register.filter
def person(user, empty="—"):
    """Full name, else username, else `empty` (None-safe, unlike chained `default` filters)."""
    if user is None:
        return empty
    return display_name(user)
