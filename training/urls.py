from django.urls import path

from . import views

app_name = "training"

P = "projects/<int:pk>/training/"

urlpatterns = [
    path(P, views.catalogue, name="catalogue"),
    path(P + "mine/", views.mine, name="mine"),
    path(P + "mine/calendar/", views.calendar_regenerate, name="calendar_regenerate"),
    path(P + "courses/", views.course_list, name="courses"),
    path(P + "courses/<int:course_id>/", views.course_detail, name="course"),
    path(P + "courses/<int:course_id>/materials/", views.material_add, name="material_add"),
    path(P + "materials/<int:material_id>/", views.material_download, name="material"),
    path(P + "courses/<int:course_id>/materials/<int:material_id>/delete/", views.material_delete,
         name="material_delete"),
    path(P + "courses/<int:course_id>/modules/", views.module_add, name="module_add"),
    path(P + "courses/<int:course_id>/modules/<int:module_id>/", views.module_detail, name="module"),
    path(P + "courses/<int:course_id>/modules/<int:module_id>/quiz/", views.module_quiz, name="module_quiz"),
    path(P + "courses/<int:course_id>/modules/<int:module_id>/complete/", views.module_complete,
         name="module_complete"),
    path(P + "courses/<int:course_id>/modules/<int:module_id>/delete/", views.module_delete, name="module_delete"),
    path(P + "courses/<int:course_id>/modules/<int:module_id>/questions/", views.question_add, name="question_add"),
    path(P + "courses/<int:course_id>/modules/<int:module_id>/questions/<int:question_id>/delete/",
         views.question_delete, name="question_delete"),
    path(P + "modules/<int:module_id>/file/", views.module_file, name="module_file"),
    path(P + "sessions/new/", views.session_create, name="session_create"),
    path(P + "sessions/<int:session_id>/", views.session_detail, name="session"),
    path(P + "sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path(P + "sessions/<int:session_id>/enrol/", views.enrol, name="enrol"),
    path(P + "sessions/<int:session_id>/cancel/", views.cancel, name="cancel"),
    path(P + "sessions/<int:session_id>/attendance/", views.attendance, name="attendance"),
    path(P + "sessions/<int:session_id>/session.ics", views.session_ics, name="session_ics"),
    path(P + "impacts/", views.impacts, name="impacts"),
    path(P + "impacts/<int:impact_id>/delete/", views.impact_delete, name="impact_delete"),
    path(P + "coverage/", views.coverage, name="coverage"),
    path(P + "coverage/export.<str:fmt>", views.coverage_export, name="coverage_export"),
    path(P + "coverage/remind/", views.coverage_remind, name="coverage_remind"),
    path("training/calendar/<str:token>.ics", views.feed, name="feed"),
]
