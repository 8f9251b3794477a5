from django.urls import path

from . import views

app_name = "defects"

P = "projects/<int:pk>/testing/"
D = P + "defects/<int:defect_id>/"

urlpatterns = [
    path(P, views.defect_list, name="list"),
    path(P + "board/", views.board, name="board"),
    path(P + "new/", views.defect_file, name="file"),
    path(P + "bulk/", views.bulk_triage, name="bulk"),
    path(D, views.defect_detail, name="detail"),
    path(D + "edit/", views.defect_edit, name="edit"),
    path(D + "transition/", views.defect_transition, name="transition"),
    path(D + "assign/", views.defect_assign, name="assign"),
    path(D + "comment/", views.defect_comment, name="comment"),
    path(D + "attach/", views.defect_attach, name="attach"),
    path(D + "attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path(P + "metrics/", views.metrics, name="metrics"),
    path(P + "sla/", views.sla, name="sla"),
    path(P + "cycles/", views.cycle_list, name="cycles"),
    path(P + "cycles/<int:cycle_id>/", views.cycle_detail, name="cycle"),
    path(P + "cycles/<int:cycle_id>/results/<int:result_id>/", views.result_record, name="result"),
    path(P + "cycles/<int:cycle_id>/import-junit/", views.cycle_import_junit, name="cycle_junit"),
    path(P + "cycles/<int:cycle_id>/exit-report/", views.cycle_exit_report, name="exit_report"),
    path(P + "cycles/<int:cycle_id>/exit-report.pdf", views.cycle_exit_report_pdf, name="exit_report_pdf"),
    path(P + "cases/", views.case_list, name="cases"),
    path(P + "cases/<int:case_id>/", views.case_detail, name="case"),
    path(P + "cases/<int:case_id>/retire/", views.case_retire, name="case_retire"),
    path(P + "performance/", views.performance, name="performance"),
    path(P + "performance/targets/<int:target_id>/", views.perf_target, name="perf_target"),
    path(P + "performance/runs/<int:run_id>/", views.perf_run, name="perf_run"),
    path(P + "security/", views.findings, name="findings"),
    path(P + "security/<int:finding_id>/", views.finding_detail, name="finding"),
    path(P + "security/<int:finding_id>/<slug:op>/", views.finding_action, name="finding_action"),
    path(P + "traceability/", views.traceability, name="traceability"),
]
