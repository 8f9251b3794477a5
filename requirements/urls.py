from django.urls import path

from . import views

app_name = "requirements"

P = "projects/<int:pk>/requirements/"

urlpatterns = [
    path(P, views.requirement_list, name="list"),
    path(P + "new/", views.requirement_create, name="create"),
    path(P + "lookup/", views.requirement_lookup, name="lookup"),
    path(P + "bulk-submit/", views.requirement_bulk_submit, name="bulk_submit"),
    path(P + "review/", views.review_queue, name="review"),
    path(P + "progress/", views.progress, name="progress"),
    path(P + "conflicts/", views.conflict_list, name="conflicts"),
    path(P + "conflicts/<int:conflict_id>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path(P + "<int:requirement_id>/", views.requirement_detail, name="detail"),
    path(P + "<int:requirement_id>/edit/", views.requirement_edit, name="edit"),
    path(P + "<int:requirement_id>/conflicts/add/", views.conflict_add, name="conflict_add"),
    path(P + "<int:requirement_id>/<str:action>/", views.requirement_action, name="action"),
    path(P + "surveys/", views.survey_list, name="surveys"),
    path(P + "surveys/new/", views.survey_create, name="survey_create"),
    path(P + "surveys/<int:survey_id>/", views.survey_detail, name="survey"),
    path(P + "surveys/<int:survey_id>/edit/", views.survey_edit, name="survey_edit"),
    path(P + "surveys/<int:survey_id>/answer/", views.survey_answer, name="survey_answer"),
    path(P + "surveys/<int:survey_id>/questions/add/", views.question_add, name="question_add"),
    path(P + "surveys/<int:survey_id>/questions/<int:question_id>/delete/", views.question_delete,
         name="question_delete"),
    path(P + "surveys/<int:survey_id>/interviews/add/", views.interview_add, name="interview_add"),
    path(P + "surveys/<int:survey_id>/answers/<int:answer_id>/to-requirement/", views.answer_to_requirement,
         name="answer_to_requirement"),
    path(P + "surveys/<int:survey_id>/interviews/<int:interview_id>/to-requirement/",
         views.interview_to_requirement, name="interview_to_requirement"),
    path(P + "surveys/<int:survey_id>/<str:action>/", views.survey_status, name="survey_status"),
]
