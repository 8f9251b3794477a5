from django.urls import path

from . import api, api_readiness

# Registered on the shared router in config/api.py.
ROUTES = [
    ("projects", api.ProjectViewSet, "project"),
    ("departments", api.DepartmentViewSet, "department"),
    ("milestones", api.MilestoneViewSet, "milestone"),
    ("responsibilities", api.ResponsibilityViewSet, "responsibility"),
    ("shifts", api.ShiftViewSet, "shift"),
    ("lessons", api_readiness.LessonViewSet, "lesson"),
    ("lesson-actions", api_readiness.LessonActionViewSet, "lesson-action"),
    ("gonogo-decisions", api_readiness.GoNoGoDecisionViewSet, "gonogo-decision"),
]

urlpatterns = [path("auth/token/", api.obtain_token, name="api-token")]
