from django.urls import path

from . import views

app_name = "hypercare"

H = "projects/<int:pk>/hypercare/"
F = "projects/<int:pk>/feedback/"
L = "projects/<int:pk>/lessons/"
C = "projects/<int:pk>/complaints/"

urlpatterns = [
    path(H, views.dashboard, name="dashboard"),
    path(H + "report/", views.report, name="report"),
    path(H + "subscribe/", views.subscribe, name="subscribe"),
    path(F, views.feedback_list, name="feedback_list"),
    path(F + "new/", views.feedback_new, name="feedback_new"),
    path(F + "<int:feedback_id>/", views.feedback_detail, name="feedback_detail"),
    path(F + "<int:feedback_id>/triage/", views.feedback_triage, name="feedback_triage"),
    path(F + "<int:feedback_id>/answer/", views.feedback_answer, name="feedback_answer"),
    path(F + "<int:feedback_id>/screenshot/", views.feedback_screenshot, name="feedback_screenshot"),
    path(C, views.complaint_list, name="complaints"),
    path(C + "<int:complaint_id>/", views.complaint_detail, name="complaint"),
    path(L, views.lessons_page, name="lessons"),
    path(L + "add/", views.lesson_add, name="lesson_add"),
    path(L + "report/", views.lessons_report, name="lessons_report"),
    path(L + "report.pdf", views.lessons_report_pdf, name="lessons_report_pdf"),
    path(L + "<int:lesson_id>/vote/", views.lesson_vote, name="lesson_vote"),
    path(L + "<int:lesson_id>/delete/", views.lesson_delete, name="lesson_delete"),
    path(L + "actions/add/", views.lesson_action_add, name="lesson_action_add"),
    path(L + "actions/<int:action_id>/status/", views.lesson_action_status, name="lesson_action_status"),
]
