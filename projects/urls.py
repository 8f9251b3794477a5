from django.urls import path

from . import views, views_gonogo, views_lessons, views_readiness

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("projects/new/", views.project_create, name="create"),
    path("projects/<int:pk>/", views.project_home, name="home"),
    path("projects/<int:pk>/edit/", views.project_edit, name="edit"),
    path("projects/<int:pk>/milestones/add/", views.milestone_add, name="milestone_add"),
    path("projects/<int:pk>/milestones/<int:milestone_id>/", views.milestone_detail, name="milestone"),
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
    path("projects/<int:pk>/readiness/", views.readiness_page, name="readiness"),
    # readiness scorecard, go/no-go decision, lessons learned
    path("projects/<int:pk>/readiness/targets/", views_readiness.readiness_settings, name="readiness_settings"),
    path("projects/<int:pk>/readiness/snapshot/", views_readiness.readiness_snapshot_now, name="readiness_snapshot"),
    path("projects/<int:pk>/go-no-go/", views_gonogo.gonogo_list, name="gonogo_list"),
    path("projects/<int:pk>/go-no-go/<int:decision_id>/", views_gonogo.gonogo_detail, name="gonogo"),
    path("projects/<int:pk>/go-no-go/<int:decision_id>/sign/", views_gonogo.gonogo_sign, name="gonogo_sign"),
    path("projects/<int:pk>/go-no-go/<int:decision_id>/decide/", views_gonogo.gonogo_finalize, name="gonogo_finalize"),
    path("projects/<int:pk>/go-no-go/<int:decision_id>/edit/", views_gonogo.gonogo_edit, name="gonogo_edit"),
    path("projects/<int:pk>/go-no-go/<int:decision_id>/report/", views_gonogo.gonogo_report, name="gonogo_report"),
    path("projects/<int:pk>/go-no-go/<int:decision_id>/blockers.xlsx", views_gonogo.gonogo_blockers_xlsx,
         name="gonogo_blockers_xlsx"),
    path("projects/<int:pk>/lessons/", views_lessons.lessons_page, name="lessons"),
    path("projects/<int:pk>/lessons/add/", views_lessons.lesson_add, name="lesson_add"),
    path("projects/<int:pk>/lessons/report/", views_lessons.lessons_report, name="lessons_report"),
    path("projects/<int:pk>/lessons/<int:lesson_id>/vote/", views_lessons.lesson_vote, name="lesson_vote"),
    path("projects/<int:pk>/lessons/<int:lesson_id>/delete/", views_lessons.lesson_delete, name="lesson_delete"),
    path("projects/<int:pk>/lessons/actions/add/", views_lessons.lesson_action_add, name="lesson_action_add"),
    path("projects/<int:pk>/lessons/actions/<int:action_id>/status/", views_lessons.lesson_action_status,
         name="lesson_action_status"),
]
