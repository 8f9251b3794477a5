from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("notifications", api.NotificationViewSet, "notification"),
    ("channels", api.ChannelViewSet, "channel"),
    ("escalation-policies", api.EscalationPolicyViewSet, "escalationpolicy"),
    ("alerts", api.AlertViewSet, "alert"),
]
