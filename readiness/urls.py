from django.urls import path

from . import views

app_name = "readiness"

P = "projects/<int:pk>/"
G = P + "go-no-go/<int:decision_id>/"
R = P + "risks/<int:risk_id>/"
M = P + "meetings/<int:meeting_id>/"

urlpatterns = [
    path(P + "readiness/", views.readiness_page, name="scorecard"),
    path(P + "readiness/targets/", views.readiness_settings, name="settings"),
    path(P + "readiness/snapshot/", views.readiness_snapshot_now, name="snapshot"),
    path(P + "go-no-go/", views.gonogo_list, name="gonogo_list"),
    path(G, views.gonogo_detail, name="gonogo"),
    path(G + "sign/", views.gonogo_sign, name="gonogo_sign"),
    path(G + "decide/", views.gonogo_finalize, name="gonogo_finalize"),
    path(G + "edit/", views.gonogo_edit, name="gonogo_edit"),
    path(G + "report/", views.gonogo_report, name="gonogo_report"),
    path(G + "report.pdf", views.gonogo_report_pdf, name="gonogo_report_pdf"),
    path(G + "blockers.xlsx", views.gonogo_blockers_xlsx, name="gonogo_blockers_xlsx"),
    path(P + "risks/", views.risk_list, name="risks"),
    path(P + "risks/export.csv", views.risk_export, {"fmt": "csv"}, name="risks_csv"),
    path(P + "risks/export.xlsx", views.risk_export, {"fmt": "xlsx"}, name="risks_xlsx"),
    path(R, views.risk_detail, name="risk"),
    path(R + "transition/", views.risk_transition, name="risk_transition"),
    path(R + "review/", views.risk_review, name="risk_review"),
    path(P + "status-report/", views.status_report_page, name="status_report"),
    path(P + "status-report.pdf", views.status_report_pdf, name="status_report_pdf"),
    path(P + "status-report/summary/", views.status_report_summary, name="status_report_summary"),
    path(P + "status-report/sponsors/", views.status_report_sponsors, name="status_report_sponsors"),
    path(P + "status-report/send/", views.status_report_send, name="status_report_send"),
    path(P + "status-report/<int:report_id>/", views.status_report_sent, name="status_report_sent"),
    path(P + "status-report/<int:report_id>.pdf", views.status_report_sent_pdf, name="status_report_sent_pdf"),
    path(P + "meetings/", views.meeting_list, name="meetings"),
    path(P + "meetings/standup/", views.standup_start, name="standup_start"),
    path(M, views.meeting_detail, name="meeting"),
    path(M + "decisions/", views.meeting_decide, name="meeting_decide"),
    path(M + "actions/", views.meeting_action_new, name="meeting_action_new"),
    path(P + "meetings/actions/<int:action_id>/status/", views.meeting_action_status, name="meeting_action_status"),
]
