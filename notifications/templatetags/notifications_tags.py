"""`{% load notifications_tags %}{% notification_bell %}`: the header bell with the unread count."""

from django import template
from django.template.loader import render_to_string

from notifications.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return render_to_string("notifications/_bell.html", {"unread": unread_count(user=user)}, request=request)
