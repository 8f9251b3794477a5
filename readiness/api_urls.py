from django.urls import path

from . import api

# Registered on the shared router in config/api.py.
ROUTES = [
    ("gonogo-decisions", api.GoNoGoDecisionViewSet, "gonogo-decision"),
    ("risks", api.RiskViewSet, "risk"),
    ("meetings", api.MeetingViewSet, "meeting"),
    ("meeting-actions", api.MeetingActionViewSet, "meeting-action"),
]

urlpatterns = [
    path("projects/<int:pk>/readiness/", api.project_readiness, name="project-readiness"),
    path("projects/<int:pk>/status-report/", api.project_status_report, name="project-status-report"),
]
