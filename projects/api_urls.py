from django.urls import path

from . import api, exports_views, imports_views

# Registered on the shared router in config/api.py.
ROUTES = [
    ("projects", api.ProjectViewSet, "project"),
    ("departments", api.DepartmentViewSet, "department"),
    ("milestones", api.MilestoneViewSet, "milestone"),
    ("responsibilities", api.ResponsibilityViewSet, "responsibility"),
    ("shifts", api.ShiftViewSet, "shift"),
    ("audit", api.AuditEntryViewSet, "audit"),
]

urlpatterns = [
    path("auth/token/", api.obtain_token, name="api-token"),
    path("portfolio/", api.portfolio, name="api-portfolio"),
    path("audit.csv", api.audit_csv, name="audit-csv"),
    path("auth/token/rotate/", api.rotate_token, name="api-token-rotate"),
    path("auth/token/revoke/", api.revoke_token, name="api-token-revoke"),
    path("me/work/", api.my_work, name="api-my-work"),
    path("projects/<str:pk>/imports/<slug:kind>/", imports_views.import_api, name="api-import"),
    path("projects/<str:pk>/imports/<slug:kind>/template/", imports_views.import_template_api,
         name="api-import-template"),
    path("projects/<str:pk>/exports/<slug:kind>.xlsx", exports_views.export_xlsx_api, name="api-export-xlsx"),
    path("projects/<str:pk>/exports/<slug:kind>.csv", exports_views.export_csv_api, name="api-export-csv"),
]
