from django.urls import path

from . import views

app_name = "tasks"

P = "projects/<int:pk>/cutover/"

urlpatterns = [
    path(P, views.runbooks, name="runbooks"),
    path(P + "prep/", views.workitems, name="workitems"),
    path(P + "prep/<int:item_id>/edit/", views.workitem_edit, name="workitem_edit"),
    path(P + "prep/<int:item_id>/status/", views.workitem_status, name="workitem_status"),
    path(P + "runbooks/<int:runbook_id>/", views.runbook_detail, name="runbook"),
    path(P + "runbooks/<int:runbook_id>/steps/<int:step_id>/edit/", views.step_edit, name="step_edit"),
    path(P + "runbooks/<int:runbook_id>/steps/<int:step_id>/move/", views.step_move, name="step_move"),
    path(P + "runbooks/<int:runbook_id>/steps/<int:step_id>/delete/", views.step_delete, name="step_delete"),
    path(P + "runbooks/<int:runbook_id>/export.xlsx", views.runbook_export, name="runbook_export"),
    path(P + "runbooks/<int:runbook_id>/import/", views.runbook_import, name="runbook_import"),
    path(P + "runbooks/<int:runbook_id>/compare/", views.rehearsal_compare, name="compare"),
    path(P + "runs/new/", views.run_create, name="run_create"),
    path(P + "runs/<int:run_id>/", views.run_board, name="run"),
    path(P + "runs/<int:run_id>/steps/<int:step_id>/", views.run_step_detail, name="run_step"),
    path(P + "runs/<int:run_id>/steps/<int:step_id>/<str:verb>/", views.run_step_action, name="run_step_action"),
    path(P + "runs/<int:run_id>/checks/", views.run_checks, name="checks"),
    path(P + "runs/<int:run_id>/issues/", views.run_issues, name="issues"),
    path(P + "runs/<int:run_id>/issues/new/", views.issue_new, name="issue_new"),
    path(P + "runs/<int:run_id>/timeline/", views.run_timeline, name="timeline"),
    path(P + "issues/<int:issue_id>/", views.issue_detail, name="issue"),
    path(P + "issues/<int:issue_id>/transition/", views.issue_transition, name="issue_transition"),
    path(P + "runs/<int:run_id>/checks/<int:check_id>/backup/", views.check_confirm_backup, name="check_backup"),
    path(P + "runs/<int:run_id>/checks/<int:check_id>/restore/", views.check_confirm_restore, name="check_restore"),
    path(P + "migration/", views.migration_plan, name="migration_plan"),
    path(P + "environment/", views.env_checks, name="env_checks"),
    path(P + "environment/standard/", views.env_template, name="env_template"),
    path(P + "environment/<int:item_id>/", views.env_check_detail, name="env_check"),
    path(P + "environment/<int:item_id>/status/", views.env_check_status, name="env_check_status"),
    path(P + "environment/<int:item_id>/evidence/", views.env_evidence_add, name="env_evidence_add"),
    path(P + "environment/<int:item_id>/evidence/<int:evidence_id>/", views.env_evidence_download,
         name="env_evidence"),
    path(P + "contingency/", views.contingency, name="contingency"),
    path(P + "contingency/approve/", views.contingency_approve, name="contingency_approve"),
    path(P + "contingency/scenarios/add/", views.scenario_add, name="scenario_add"),
    path(P + "contingency/scenarios/<int:scenario_id>/", views.scenario_detail, name="scenario"),
    path(P + "contingency/drills/add/", views.drill_add, name="drill_add"),
    path(P + "contingency/drills/<int:drill_id>/delete/", views.drill_delete, name="drill_delete"),
]
