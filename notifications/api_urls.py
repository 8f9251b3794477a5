from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("notifications", api.NotificationViewSet, "notification"),
]
