from django import template

register = template.Library()


@register.filter
def person(user, empty="—"):
    """Full name, else username, else `empty` (None-safe, unlike chained `default` filters)."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()
