from django.urls import path

from . import exports_views, imports_views, views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("projects/<int:pk>/", views.project_home, name="home"),
    path("projects/<int:pk>/edit/", views.project_edit, name="edit"),
    path("projects/<int:pk>/clone/", views.project_clone, name="clone"),
    path("projects/<int:pk>/audit/", views.audit_page, name="audit"),
    path("projects/<int:pk>/audit.csv", views.audit_csv, name="audit_csv"),
    path("projects/<int:pk>/milestones/add/", views.milestone_add, name="milestone_add"),
    path("projects/<int:pk>/milestones/<int:milestone_id>/", views.milestone_detail, name="milestone"),
    path("projects/<int:pk>/people/", views.people_lookup, name="people_lookup"),
    path("projects/<int:pk>/team/", views.roster, name="roster"),
    path("projects/<int:pk>/team/add/", views.member_add, name="member_add"),
    path("projects/<int:pk>/team/departments/add/", views.department_add, name="department_add"),
    path("projects/<int:pk>/team/<int:membership_id>/", views.member_detail, name="member"),
    path("projects/<int:pk>/team/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("projects/<int:pk>/team/raci/", views.raci, name="raci"),
    path("projects/<int:pk>/team/raci/set/", views.raci_set, name="raci_set"),
    path("projects/<int:pk>/team/raci/cell/", views.raci_cell, name="raci_cell"),
    path("projects/<int:pk>/team/raci/area/", views.raci_area_add, name="raci_area_add"),
    path("projects/<int:pk>/team/rota/", views.rota, name="rota"),
    path("projects/<int:pk>/team/rota/<int:shift_id>/delete/", views.shift_delete, name="shift_delete"),
    path("projects/<int:pk>/calendars/", views.calendars, name="calendars"),
    path("projects/<int:pk>/import/", imports_views.import_page, name="import"),
    path("projects/<int:pk>/import/<slug:kind>/", imports_views.import_page, name="import_kind"),
    path("projects/<int:pk>/import/<slug:kind>/template.xlsx", imports_views.import_template, name="import_template"),
    path("projects/<int:pk>/exports/<slug:kind>.xlsx", exports_views.export_page, {"fmt": "xlsx"}, name="export_xlsx"),
    path("projects/<int:pk>/exports/<slug:kind>.csv", exports_views.export_page, {"fmt": "csv"}, name="export_csv"),
    path("calendar/<str:token>/my-shifts.ics", views.my_shifts_feed, name="my_shifts_feed"),
    path("calendar/<str:token>/projects/<int:project_id>/<slug:key>.ics", views.project_feed, name="project_feed"),
]
