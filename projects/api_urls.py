from django.urls import path

from . import api, imports_views

# Registered on the shared router in config/api.py.
ROUTES = [
    ("projects", api.ProjectViewSet, "project"),
    ("departments", api.DepartmentViewSet, "department"),
    ("milestones", api.MilestoneViewSet, "milestone"),
    ("responsibilities", api.ResponsibilityViewSet, "responsibility"),
    ("shifts", api.ShiftViewSet, "shift"),
]

urlpatterns = [
    path("auth/token/", api.obtain_token, name="api-token"),
    path("projects/<str:pk>/imports/<slug:kind>/", imports_views.import_api, name="api-import"),
    path("projects/<str:pk>/imports/<slug:kind>/template/", imports_views.import_template_api,
         name="api-import-template"),
]
